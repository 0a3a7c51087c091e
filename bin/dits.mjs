#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx's loader is registered before the entry is imported.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
