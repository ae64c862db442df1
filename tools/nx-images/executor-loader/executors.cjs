'use strict';
/**
 * What executors.json points Nx at for every executor of the plugin
 * (`./executor-loader/executors.cjs#<name>`): one export per executor it
 * lists, each running the bundle of `src/executors/<name>/executor.ts`
 * (see executor-bundle.cjs). Plain CommonJS, so Nx loads it without a
 * TypeScript transpiler.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { bundledExecutor } = require('./executor-bundle.cjs');

const pluginDir = join(__dirname, '..');
const { executors } = JSON.parse(readFileSync(join(pluginDir, 'executors.json'), 'utf8'));
for (const name of Object.keys(executors)) exports[name] = bundledExecutor(pluginDir, name);
