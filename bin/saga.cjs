#!/usr/bin/env node
// `npx saga`: runs the TypeScript command through tsx.
require('tsx/cjs');
require('./saga.ts');
