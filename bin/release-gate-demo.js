#!/usr/bin/env node
// `npm run demo`: the App and its console on a simulated GitHub (see src/demo/start-demo.ts).
import { runDemo } from '../dist/demo/start-demo.js';

await runDemo();
