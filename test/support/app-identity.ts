import { generateKeyPairSync } from 'node:crypto';

/** The test App's identity: its id, its private key (made for the test run, never written to disk) and its webhook secret. */
export const TEST_PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
export const TEST_SECRET = 'test-webhook-secret';
export const TEST_APP_ID = 4242;
