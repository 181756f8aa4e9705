/**
 * The version of the decision engine recorded with every evaluation: the package's
 * version, kept here once (a test holds it equal to package.json). A replayed decision
 * that differs from the stored one names both versions.
 */
export const ENGINE_VERSION = '0.1.0';
