#!/usr/bin/env node
import { start } from '../dist/app/start.js';
import { AppConfigError } from '../dist/app/config.js';

start().catch((error) => {
  console.error(error instanceof AppConfigError ? error.message : `Release Gate cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
