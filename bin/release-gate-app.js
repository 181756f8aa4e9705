#!/usr/bin/env node
import { reportStartFailure, start } from '../dist/app/start.js';

start().catch((error) => {
  reportStartFailure(error);
  process.exitCode = 1;
});
