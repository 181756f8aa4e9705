#!/usr/bin/env node
// RELEASE_GATE_DEMO=1 (or --demo): the demo instead of the App (the container's demo flag).
if (process.env.RELEASE_GATE_DEMO === '1' || process.argv.includes('--demo')) {
  const { runDemo } = await import('../dist/demo/start-demo.js');
  await runDemo();
} else {
  const { reportStartFailure, startReleaseGate } = await import('../dist/release-gate-app.js');
  startReleaseGate().catch((error) => {
    reportStartFailure(error);
    process.exitCode = 1;
  });
}
