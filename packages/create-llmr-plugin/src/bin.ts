#!/usr/bin/env node
import { runCreate } from './run-create';

process.exitCode = await runCreate(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  error: (text) => process.stderr.write(text),
});
