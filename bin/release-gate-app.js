#!/usr/bin/env node
import { reportStartFailure, startReleaseGate } from '../dist/release-gate-app.js';

startReleaseGate().catch((error) => {
  reportStartFailure(error);
  process.exitCode = 1;
});
