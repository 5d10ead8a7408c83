#!/usr/bin/env node
// The `reget` command. The code lives in ../dist (built from ../src by `tsc -b`, which the root
// `prepare` script runs after `npm ci`).
import { runAndExit } from '../dist/cli.js';

await runAndExit();
