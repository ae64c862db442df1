#!/usr/bin/env node
// Nx runtime input of every image target: prints the engine's image IDs for
// the given references, or a fresh random word when any is missing. Nx hashes
// the output, so a cached result can only be replayed while the very images it
// describes are in the engine; a missing image never matches any earlier hash.
// Plain JavaScript with no dependencies because Nx runs it on every hash.
'use strict';
const http = require('node:http');
const { randomUUID } = require('node:crypto');

const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
const missing = () => `missing-${randomUUID()}`;

function connection() {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const tcp = /^tcp:\/\/([^:/]+):(\d+)/.exec(host);
  if (tcp && !process.env.DOCKER_TLS_VERIFY) return { host: tcp[1], port: Number(tcp[2]) };
  return undefined;
}

function imageId(reference) {
  const target = connection();
  if (!target) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const request = http.get({ ...target, path: `/images/${encodeURIComponent(reference)}/json`, timeout: 2000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 ? JSON.parse(body).Id : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

Promise.all(process.argv.slice(2).map(imageId)).then((ids) => {
  process.stdout.write(ids.length > 0 && ids.every(Boolean) ? ids.join(' ') : missing());
});
