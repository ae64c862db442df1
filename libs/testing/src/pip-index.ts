import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateRawSync } from 'node:zlib';

/** One distribution to serve: a pure-Python wheel is built for it. */
export interface PipPackage {
  /** The project name as a requirement names it (PEP 508), e.g. `Taskforge-Probe`. */
  name: string;
  /** A PEP 440 version in its normalized form, e.g. `1.2.0`, `2.0rc1`, `1.0.post1`. */
  version: string;
  /**
   * Files of the wheel, by path inside it (`pkg/__init__.py` -> contents). Default: one
   * package `<name>/__init__.py` holding `__version__ = "<version>"`, where `<name>` is the
   * normalized name with `-` as `_` (`Taskforge-Probe` -> `taskforge_probe`), so it imports.
   */
  modules?: Record<string, string>;
}

export interface PipWheel {
  name: string;
  version: string;
  /** The wheel's file name, e.g. `taskforge_probe-1.2.0-py3-none-any.whl`. */
  file: string;
  /** Hex SHA-256 of the wheel, as `--hash=sha256:` and the index's `#sha256=` give it. */
  sha256: string;
  /** Where the index serves it. */
  url: string;
  /** A hash-pinned requirements line: `name==version --hash=sha256:<hex>`. */
  requirement: string;
  bytes: Buffer;
}

export interface PipIndex {
  /** `http://127.0.0.1:PORT/simple/`, for `pip --index-url`. */
  url: string;
  wheels: PipWheel[];
  /** Request paths (with any query), in the order they came in: what pip fetched. */
  requests: string[];
  stop(): Promise<void>;
}

/** PEP 503 name normalization: `re.sub(r"[-_.]+", "-", name).lower()`. */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** The name as wheel file names and `.dist-info` folders spell it (binary distribution format: normalized, `-` as `_`). */
export function wheelNamePart(name: string): string {
  return normalizeProjectName(name).replace(/-/g, '_');
}

const PROJECT_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
// Normalized PEP 440 versions only: pip compares the file name's version with the requirement's.
const VERSION = /^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?(\+[a-z0-9]+(\.[a-z0-9]+)*)?$/;

/** A wheel's file name and bytes. */
export interface BuiltWheel {
  file: string;
  bytes: Buffer;
  sha256: string;
}

/**
 * Builds a pure-Python wheel (`py3-none-any`, PEP 427/491) in memory: the module files, then
 * `<dist>-<version>.dist-info/{METADATA,WHEEL,RECORD}`. Timestamps are fixed, so the same
 * package always gives the same bytes and hash.
 */
export function buildWheel(pkg: PipPackage): BuiltWheel {
  if (!PROJECT_NAME.test(pkg.name)) throw new Error(`not a valid Python project name: ${JSON.stringify(pkg.name)}`);
  if (!VERSION.test(pkg.version)) throw new Error(`${pkg.name}: not a normalized PEP 440 version: ${JSON.stringify(pkg.version)}`);
  const dist = wheelNamePart(pkg.name);
  const distInfo = `${dist}-${pkg.version}.dist-info`;
  const modules = pkg.modules ?? { [`${dist}/__init__.py`]: `__version__ = "${pkg.version}"\n` };
  for (const path of Object.keys(modules)) {
    const parts = path.split('/');
    if (path.startsWith('/') || path.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..') || /[,\r\n]/.test(path)) {
      throw new Error(`${pkg.name}: module path must be relative, with no empty, '.' or '..' parts, commas or newlines: ${JSON.stringify(path)}`);
    }
    if (parts[0].endsWith('.dist-info') || parts[0].endsWith('.data')) throw new Error(`${pkg.name}: ${path} is where the wheel's own metadata goes`);
  }
  const files: Array<[string, Buffer]> = Object.entries(modules).map(([path, text]) => [path, Buffer.from(text, 'utf8')]);
  files.push([`${distInfo}/METADATA`, Buffer.from(`Metadata-Version: 2.1\nName: ${pkg.name}\nVersion: ${pkg.version}\n`)]);
  files.push([`${distInfo}/WHEEL`, Buffer.from('Wheel-Version: 1.0\nGenerator: taskforge-testing pip-index\nRoot-Is-Purelib: true\nTag: py3-none-any\n')]);
  const record = files.map(([path, data]) => `${path},sha256=${createHash('sha256').update(data).digest('base64url')},${data.length}\n`).join('');
  files.push([`${distInfo}/RECORD`, Buffer.from(`${record}${distInfo}/RECORD,,\n`)]);
  const bytes = zip(files);
  return { file: `${dist}-${pkg.version}-py3-none-any.whl`, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// 2020-01-01 00:00:00 in MS-DOS time (a fixed date keeps the bytes reproducible).
const DOS_TIME = 0;
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;

/** A plain zip (deflate, UTF-8 names, regular files 0644); no ZIP64, so each file and the whole stay under 4 GiB. */
function zip(files: Array<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const compressed = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // flags: names are UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the external attributes are a mode)
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt16LE(DOS_TIME, 12);
    entry.writeUInt16LE(DOS_DATE, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    central.push(entry, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function page(title: string, links: Array<[href: string, text: string]>): string {
  const anchors = links.map(([href, text]) => `    <a href="${escapeHtml(href)}">${escapeHtml(text)}</a><br/>\n`).join('');
  return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.0">\n    <title>${escapeHtml(title)}</title>\n  </head>\n  <body>\n${anchors}  </body>\n</html>\n`;
}

/**
 * A PEP 503 "simple" package index on loopback serving wheels built from `packages`:
 * `/simple/` lists the projects, `/simple/<normalized-name>/` links each wheel with its
 * `#sha256=`, `/files/<wheel>` serves it; anything else is 404. Use it with
 * `pip install --index-url <url> --require-hashes --only-binary=:all: --no-deps -r <requirements>`,
 * the requirements written from `wheels[].requirement`. `options.host` is the address to listen on
 * (default 127.0.0.1); the url names 127.0.0.1 when listening on every address.
 */
export async function startPipIndex(packages: PipPackage[], options: { host?: string } = {}): Promise<PipIndex> {
  const host = options.host ?? '127.0.0.1';
  const built = packages.map((pkg) => ({ pkg, wheel: buildWheel(pkg) }));
  const projects = new Map<string, Array<(typeof built)[number]>>();
  const files = new Map<string, Buffer>();
  for (const entry of built) {
    if (files.has(entry.wheel.file)) throw new Error(`two packages give the same wheel: ${entry.wheel.file}`);
    files.set(entry.wheel.file, entry.wheel.bytes);
    const project = normalizeProjectName(entry.pkg.name);
    projects.set(project, [...(projects.get(project) ?? []), entry]);
  }
  const requests: string[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    requests.push(target);
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const notFound = () => send(404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    let path: string;
    try {
      path = decodeURIComponent(new URL(target, 'http://index').pathname);
    } catch {
      return notFound();
    }
    if (path === '/simple/') {
      const names = [...projects.keys()].sort();
      return send(200, 'text/html; charset=utf-8', page('Simple index', names.map((name) => [`${name}/`, name])));
    }
    const project = /^\/simple\/([^/]+)\/?$/.exec(path);
    if (project) {
      const normalized = normalizeProjectName(project[1]);
      const entries = projects.get(normalized);
      if (!entries) return notFound();
      // PEP 503: other spellings of the name, and the name without its slash, redirect to the normalized URL.
      if (path !== `/simple/${normalized}/`) return send(301, 'text/plain; charset=utf-8', '', { Location: `/simple/${normalized}/` });
      const links = entries.map(({ wheel }): [string, string] => [`../../files/${wheel.file}#sha256=${wheel.sha256}`, wheel.file]);
      return send(200, 'text/html; charset=utf-8', page(`Links for ${normalized}`, links));
    }
    const file = /^\/files\/([^/]+)$/.exec(path);
    const bytes = file && files.get(file[1]);
    if (bytes) return send(200, 'application/octet-stream', bytes);
    return notFound();
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const base = `http://${urlHost}:${port}`;
  return {
    url: `${base}/simple/`,
    wheels: built.map(({ pkg, wheel }) => ({
      name: pkg.name,
      version: pkg.version,
      file: wheel.file,
      sha256: wheel.sha256,
      url: `${base}/files/${wheel.file}`,
      requirement: `${pkg.name}==${pkg.version} --hash=sha256:${wheel.sha256}`,
      bytes: wheel.bytes,
    })),
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
