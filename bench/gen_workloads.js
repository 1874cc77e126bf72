#!/usr/bin/env node
// Writes the benchmark workloads: for each, a folder under the output directory (default
// bench/workloads) holding definition.json, input.json and meta.json. meta.json says how many
// state transitions (states entered, counting a Map state and every state inside it) one
// execution makes, so both engines are measured in the same unit.
//
// Usage: node bench/gen_workloads.js [OUT_DIR]
'use strict';

const fs = require('fs');
const path = require('path');

const outDir = process.argv[2] || path.join(__dirname, 'workloads');
const kChainLength = 100;
const kMapItems = 10000;

// A chain of `n` Pass states S000 -> S001 -> ... ; `params(i)` gives state i its Parameters.
function chain(n, params) {
  const states = {};
  const name = (i) => 'S' + String(i).padStart(3, '0');
  for (let i = 0; i < n; i++) {
    const s = {Type: 'Pass'};
    const p = params ? params(i) : undefined;
    if (p) s.Parameters = p;
    if (i + 1 < n) s.Next = name(i + 1); else s.End = true;
    states[name(i)] = s;
  }
  return {Comment: `A chain of ${n} Pass states`, StartAt: name(0), States: states};
}

// About 5 KB of order-like JSON: an id and a list of line items.
function bigInput() {
  const items = [];
  for (let i = 0; items.length === 0 || JSON.stringify({id: 'order-000123', items}).length < 5000;
       i++) {
    items.push({
      sku: 'SKU-' + String(10000 + i),
      name: 'Item number ' + i,
      quantity: (i % 7) + 1,
      price: Math.round((3.5 + i * 1.25) * 100) / 100,
      tags: ['bench', i % 2 ? 'odd' : 'even'],
    });
  }
  return {id: 'order-000123', items};
}

const workloads = [
  {
    name: 'pass_chain_tiny',
    title: '100 Pass states, tiny input',
    definition: chain(kChainLength),
    input: {hello: 'world', n: 1},
    transitions: kChainLength,
  },
  {
    name: 'pass_chain_5kb_params',
    title: '100 Pass states, ~5 KB input, JSONPath Parameters on each',
    definition: chain(kChainLength, (i) => ({'items.$': '$.items', 'id.$': '$.id', step: i})),
    input: bigInput(),
    transitions: kChainLength,
  },
  {
    name: 'map_10k_pass',
    title: 'Map over 10,000 items with a Pass inside',
    definition: {
      Comment: `A Map over ${kMapItems} items with one Pass state per item`,
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            ProcessorConfig: {Mode: 'INLINE'},
            StartAt: 'Each',
            States: {Each: {Type: 'Pass', End: true}},
          },
          End: true,
        },
      },
    },
    input: {items: Array.from({length: kMapItems}, (_, i) => ({n: i}))},
    transitions: 1 + kMapItems,  // the Map state plus one Pass per item
  },
];

fs.mkdirSync(outDir, {recursive: true});
for (const w of workloads) {
  const dir = path.join(outDir, w.name);
  fs.mkdirSync(dir, {recursive: true});
  fs.writeFileSync(path.join(dir, 'definition.json'), JSON.stringify(w.definition, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'input.json'), JSON.stringify(w.input) + '\n');
  const meta = {
    name: w.name,
    title: w.title,
    transitions_per_execution: w.transitions,
    input_bytes: JSON.stringify(w.input).length,
  };
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
}
console.log(workloads.map((w) => w.name).join('\n'));
