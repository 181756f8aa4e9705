#!/usr/bin/env node
import { runCli } from '../dist/cli/run.js';

process.exitCode = await runCli(process.argv.slice(2));
