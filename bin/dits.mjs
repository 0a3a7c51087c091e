#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx's loader is registered before the entry is imported.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
