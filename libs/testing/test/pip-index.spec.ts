import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineClient, inspectLocalImage, runContainer } from '@taskforge/engine';
import { engineForTests } from '../src/engine-images';
import { REPO_ROOT } from '../src/fixture-workspace';
import { buildWheel, startPipIndex, type PipIndex, type PipPackage } from '../src/pip-index';

jest.setTimeout(120 * 1000);

const PACKAGES: PipPackage[] = [
  // An unnormalized name: the index path, the file name and the module each spell it their own way.
  { name: 'Taskforge.Probe_One', version: '1.2.0' },
  {
    name: 'tf-greeter',
    version: '0.3.1',
    modules: {
      'tf_greeter/__init__.py': '__version__ = "0.3.1"\nfrom .hello import greet\n',
      'tf_greeter/hello.py': 'def greet(name):\n    return f"hello {name}"\n',
    },
  },
];
// What each wheel's top-level module is called, and what importing it gives.
const MODULES = { 'Taskforge.Probe_One': 'taskforge_probe_one', 'tf-greeter': 'tf_greeter' } as Record<string, string>;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the index answers from this process). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { env, maxBuffer: 16 * 1024 * 1024, timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const anchors = (html: string) => [...html.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({ href: m[1], text: m[2] }));

// Reads each wheel with zipfile, checks every RECORD line against the bytes, parses WHEEL and METADATA,
// and imports the module straight from the wheel with zipimport.
const VALIDATE_WHEELS = String.raw`
import base64, csv, email.parser, hashlib, importlib.util, io, json, sys, zipfile, zipimport
result = []
for path, module in zip(sys.argv[1::2], sys.argv[2::2]):
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, "a member's CRC is wrong"
        names = z.namelist()
        records = [n for n in names if n.endswith(".dist-info/RECORD")]
        assert len(records) == 1, records
        record = records[0]
        dist_info = record[: -len("/RECORD")]
        rows = list(csv.reader(io.StringIO(z.read(record).decode("utf-8"))))
        for row_path, digest, size in rows:
            if row_path == record:
                assert (digest, size) == ("", ""), ("RECORD lists a hash for itself", digest, size)
                continue
            algorithm, value = digest.split("=", 1)
            assert algorithm == "sha256", algorithm
            data = z.read(row_path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert value == expected, (row_path, value, expected)
            assert int(size) == len(data), (row_path, size, len(data))
        assert sorted(r[0] for r in rows) == sorted(names), (sorted(r[0] for r in rows), sorted(names))
        wheel = dict(email.parser.Parser().parsestr(z.read(dist_info + "/WHEEL").decode()).items())
        metadata = dict(email.parser.Parser().parsestr(z.read(dist_info + "/METADATA").decode()).items())
    spec = zipimport.zipimporter(path).find_spec(module)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded  # before running it, as the import system does: the package imports its own submodules
    spec.loader.exec_module(loaded)
    result.append({"names": names, "distInfo": dist_info, "wheel": wheel, "metadata": metadata, "version": loaded.__version__, "origin": spec.origin})
print(json.dumps(result))
`;

const IMPORT_INSTALLED = 'import json, sys, taskforge_probe_one, tf_greeter; print(json.dumps([taskforge_probe_one.__version__, tf_greeter.__version__, tf_greeter.greet("pip"), tf_greeter.__file__]))';

/** A hash-pinned requirements file, as the image builder writes one. */
function requirements(index: PipIndex, dir: string, tamper = false): string {
  const file = join(dir, tamper ? 'requirements-tampered.txt' : 'requirements.txt');
  const lines = index.wheels.map((w, i) => (tamper && i === 0 ? w.requirement.replace(/sha256:./, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`) : w.requirement));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('startPipIndex', () => {
  let index: PipIndex;
  let dir: string;

  beforeAll(async () => {
    index = await startPipIndex(PACKAGES);
    dir = mkdtempSync(join(tmpdir(), 'pip-index-'));
  });
  afterAll(async () => {
    await index?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves PEP 503 pages whose anchors name the wheels by their hashes, and the wheels themselves', async () => {
    expect(index.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simple\/$/);
    expect(index.wheels.map((w) => [w.name, w.version, w.file])).toEqual([
      ['Taskforge.Probe_One', '1.2.0', 'taskforge_probe_one-1.2.0-py3-none-any.whl'],
      ['tf-greeter', '0.3.1', 'tf_greeter-0.3.1-py3-none-any.whl'],
    ]);

    const root = await fetch(index.url);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/^text\/html/);
    expect(anchors(await root.text())).toEqual([
      { href: 'taskforge-probe-one/', text: 'taskforge-probe-one' },
      { href: 'tf-greeter/', text: 'tf-greeter' },
    ]);

    for (const wheel of index.wheels) {
      const project = new URL(wheel.name === 'tf-greeter' ? 'tf-greeter/' : 'taskforge-probe-one/', index.url);
      const pageResponse = await fetch(project);
      expect(pageResponse.status).toBe(200);
      const links = anchors(await pageResponse.text());
      expect(links).toEqual([{ href: `../../files/${wheel.file}#sha256=${wheel.sha256}`, text: wheel.file }]);
      const fileUrl = new URL(links[0].href, project);
      expect(fileUrl.href).toBe(`${wheel.url}#sha256=${wheel.sha256}`);
      const served = Buffer.from(await (await fetch(fileUrl)).arrayBuffer());
      expect(sha256(served)).toBe(links[0].href.split('#sha256=')[1]);
      expect(served.equals(wheel.bytes)).toBe(true);
    }

    // Other spellings of a name redirect to the normalized page (PEP 503); anything else is 404.
    const other = await fetch(new URL('Taskforge_Probe.One', index.url), { redirect: 'manual' });
    expect([other.status, other.headers.get('location')]).toEqual([301, '/simple/taskforge-probe-one/']);
    for (const path of ['/simple/missing/', '/files/missing-1.0-py3-none-any.whl', '/', '/simple', '/files/']) {
      expect([path, (await fetch(new URL(path, index.url))).status]).toEqual([path, 404]);
    }
    expect(index.requests).toEqual(
      expect.arrayContaining(['/simple/', '/simple/taskforge-probe-one/', '/files/taskforge_probe_one-1.2.0-py3-none-any.whl', '/simple/Taskforge_Probe.One', '/simple/missing/']),
    );
  });

  it("builds wheels that Python's zipfile reads, whose RECORD matches every file, and whose modules zipimport loads", async () => {
    const args = index.wheels.flatMap((w) => {
      const path = join(dir, w.file);
      writeFileSync(path, w.bytes);
      return [path, MODULES[w.name]];
    });
    const checked = await run('python3', ['-c', VALIDATE_WHEELS, ...args]);
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    const [probe, greeter] = JSON.parse(checked.stdout);
    expect(probe).toEqual({
      names: ['taskforge_probe_one/__init__.py', 'taskforge_probe_one-1.2.0.dist-info/METADATA', 'taskforge_probe_one-1.2.0.dist-info/WHEEL', 'taskforge_probe_one-1.2.0.dist-info/RECORD'],
      distInfo: 'taskforge_probe_one-1.2.0.dist-info',
      wheel: { 'Wheel-Version': '1.0', Generator: 'taskforge-testing pip-index', 'Root-Is-Purelib': 'true', Tag: 'py3-none-any' },
      metadata: { 'Metadata-Version': '2.1', Name: 'Taskforge.Probe_One', Version: '1.2.0' },
      version: '1.2.0',
      origin: `${join(dir, 'taskforge_probe_one-1.2.0-py3-none-any.whl')}/taskforge_probe_one/__init__.py`,
    });
    expect(greeter.names).toEqual(['tf_greeter/__init__.py', 'tf_greeter/hello.py', 'tf_greeter-0.3.1.dist-info/METADATA', 'tf_greeter-0.3.1.dist-info/WHEEL', 'tf_greeter-0.3.1.dist-info/RECORD']);
    expect(greeter.version).toBe('0.3.1');
    expect(readFileSync(join(dir, index.wheels[1].file)).equals(buildWheel(PACKAGES[1]).bytes)).toBe(true); // same package, same bytes
  });

  it('refuses names, versions and module paths a wheel cannot carry', () => {
    expect(() => buildWheel({ name: 'bad name', version: '1.0' })).toThrow(/project name/);
    expect(() => buildWheel({ name: 'ok', version: '1.0-1' })).toThrow(/PEP 440/);
    expect(() => buildWheel({ name: 'ok', version: '1.0', modules: { '../escape.py': '' } })).toThrow(/relative/);
    expect(() => buildWheel({ name: 'ok', version: '1.0', modules: { 'ok-1.0.dist-info/extra': '' } })).toThrow(/metadata/);
  });

  // Debian 12 hosts often have no pip; the engine test below proves the same with Debian's pip.
  const hostPip = spawnSync('python3', ['-m', 'pip', '--version'], { encoding: 'utf8' });
  const hasPip = hostPip.status === 0;
  if (!hasPip) console.warn(`pip-index: skipping the host pip test: \`python3 -m pip --version\` failed (${(hostPip.stderr || String(hostPip.error)).trim()})`);

  (hasPip ? it : it.skip)(`host pip (${hasPip ? hostPip.stdout.split(' from ')[0] : 'not installed: skipped'}) downloads and installs from it with --require-hashes, and refuses a wrong hash`, async () => {
    // --isolated: no pip.conf or PIP_* variables (a host's find-links or extra index would mask what this index serves).
    const pip = ['-m', 'pip', '--isolated', '--disable-pip-version-check', '--no-cache-dir', '--no-input'];
    const from = ['--require-hashes', '--only-binary=:all:', '--no-deps', '--index-url', index.url];
    const env = { ...process.env, PYTHONNOUSERSITE: '1', PYTHONDONTWRITEBYTECODE: '1' };
    index.requests.length = 0;

    const download = await run('python3', [...pip, 'download', ...from, '-r', requirements(index, dir), '-d', join(dir, 'downloaded')], env);
    expect([download.code, download.stderr]).toEqual([0, expect.anything()]);
    for (const wheel of index.wheels) expect(readFileSync(join(dir, 'downloaded', wheel.file)).equals(wheel.bytes)).toBe(true);

    const target = join(dir, 'target');
    const install = await run('python3', [...pip, 'install', ...from, '-r', requirements(index, dir), '--target', target], env);
    expect([install.code, install.stderr]).toEqual([0, expect.anything()]);
    const imported = await run('python3', ['-c', IMPORT_INSTALLED], { ...env, PYTHONPATH: target });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual(['1.2.0', '0.3.1', 'hello pip', join(target, 'tf_greeter/__init__.py')]);
    expect(readFileSync(join(target, 'tf_greeter-0.3.1.dist-info/INSTALLER'), 'utf8').trim()).toBe('pip');
    expect(index.requests).toEqual(expect.arrayContaining(['/simple/taskforge-probe-one/', '/simple/tf-greeter/', ...index.wheels.map((w) => `/files/${w.file}`)]));
    expect(index.requests.every((path) => path.startsWith('/simple/') || path.startsWith('/files/'))).toBe(true);

    const tampered = await run('python3', [...pip, 'download', ...from, '-r', requirements(index, dir, true), '-d', join(dir, 'tampered')], env);
    expect(tampered.code).not.toBe(0);
    expect(tampered.stderr).toMatch(/DO NOT MATCH THE HASHES/);
  });
});

describe('startPipIndex with Debian bookworm pip in a container on the host network', () => {
  const BASE = `openclaw-base:${readFileSync(join(REPO_ROOT, 'images/base/VERSION'), 'utf8').trim()}`;
  let index: PipIndex;
  let dir: string;

  beforeAll(async () => {
    index = await startPipIndex(PACKAGES);
    dir = mkdtempSync(join(tmpdir(), 'pip-index-container-'));
  });
  afterAll(async () => {
    await index?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs both wheels with --require-hashes --only-binary=:all: --no-deps', async () => {
    await engineForTests();
    const docker = engineClient();
    // Any Debian image with python3 does; this library's tests do not build the repo's images.
    if (!(await inspectLocalImage(docker, BASE))) {
      console.warn(`pip-index: skipping the container pip test: ${BASE} is not in the engine (build it with \`npx nx run-many -t build-image\`)`);
      return;
    }
    requirements(index, dir);
    const script = [
      'set -e',
      'export DEBIAN_FRONTEND=noninteractive',
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends python3-pip >/dev/null',
      'python3 -m pip --version',
      `python3 -m pip --isolated --disable-pip-version-check --no-cache-dir --no-input install --require-hashes --only-binary=:all: --no-deps --index-url "${index.url}" -r /work/requirements.txt --target /tmp/target`,
      `PYTHONPATH=/tmp/target python3 -c '${IMPORT_INSTALLED}'`,
    ].join('\n');
    const started = Date.now();
    const result = await runContainer(docker, {
      image: BASE,
      user: 'root',
      entrypoint: ['sh', '-c', script],
      hostConfig: { NetworkMode: 'host' },
      copyIn: { hostDir: dir, containerDir: '/work' },
      labels: { 'io.taskforge.test': 'pip-index' },
      timeoutMs: 90000,
    });
    expect({ exitCode: result.exitCode, timedOut: result.timedOut, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, timedOut: false, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^pip \d+/);
    expect(JSON.parse(lines[lines.length - 1])).toEqual(['1.2.0', '0.3.1', 'hello pip', '/tmp/target/tf_greeter/__init__.py']);
    expect(index.requests).toEqual(expect.arrayContaining(['/simple/taskforge-probe-one/', '/simple/tf-greeter/', ...index.wheels.map((w) => `/files/${w.file}`)]));
    console.log(`pip-index: ${lines[0].split(' from ')[0]} in ${BASE} installed from the index in ${Math.round((Date.now() - started) / 1000)} s`);
  });
});
