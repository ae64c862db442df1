import { approveCapabilities, parseCapabilityList, renderTaskBuild, type ApprovedSet } from '../src';
import { TEST_CATALOGUE, testHash } from './test-catalogue';

const DIGEST = `sha256:${'a1'.repeat(32)}`;
const BASE = `localhost:5000/openclaw-base@${DIGEST}`;
const approve = (capabilities: string[]): ApprovedSet => approveCapabilities(TEST_CATALOGUE, parseCapabilityList(capabilities));

describe('renderTaskBuild', () => {
  it('renders Python and Debian packages', () => {
    const build = renderTaskBuild(BASE, approve(['pip_package:pandas==2.0.0', 'apt_package:ripgrep', 'apt_package:jq=1.6-2.1']));
    expect(build.dockerfile.split('\n')).toEqual([
      `FROM ${BASE} AS python-packages`,
      'USER 0',
      'COPY python-build-packages.txt /usr/share/openclaw/packages/python-build.txt',
      'RUN install-debian-packages /usr/share/openclaw/packages/python-build.txt',
      'COPY requirements.txt /tmp/requirements.txt',
      'ARG PIP_INDEX_URL',
      `RUN test -n "$PIP_INDEX_URL" || { echo 'PIP_INDEX_URL is empty: build with --build-arg PIP_INDEX_URL=<the package index to install the approved wheels from>' >&2; exit 1; }`,
      'RUN python3 -m pip install --isolated --no-cache-dir --require-hashes --only-binary=:all: --no-deps --index-url "$PIP_INDEX_URL" --target /opt/task-python -r /tmp/requirements.txt',
      '',
      `FROM ${BASE}`,
      'USER 0',
      'COPY debian-packages.txt /usr/share/openclaw/packages/task.txt',
      'RUN install-debian-packages /usr/share/openclaw/packages/task.txt',
      'USER 1001',
      'COPY --from=python-packages /opt/task-python /usr/local/lib/python3.11/dist-packages',
      '',
    ]);
    const pandasHashes = [testHash('pandas-2.0.0-x86_64'), testHash('pandas-2.0.0-aarch64')].sort();
    expect(build.files).toEqual({
      'python-build-packages.txt': 'python3-pip\n',
      'requirements.txt': [
        `numpy==1.24.3 --hash=sha256:${testHash('numpy-1.24.3')}`,
        `pandas==2.0.0 --hash=sha256:${pandasHashes[0]} --hash=sha256:${pandasHashes[1]}`,
        `python-dateutil==2.8.2 --hash=sha256:${testHash('python-dateutil-2.8.2')}`,
        `pytz==2023.3 --hash=sha256:${testHash('pytz-2023.3')}`,
        `six==1.16.0 --hash=sha256:${testHash('six-1.16.0')}`,
        `tzdata==2023.3 --hash=sha256:${testHash('tzdata-2023.3')}`,
        '',
      ].join('\n'),
      'debian-packages.txt': 'jq=1.6-2.1\nripgrep\n',
    });
    expect(build.dockerfile).not.toMatch(/LABEL/);
  });

  it('renders Debian packages alone without a Python stage', () => {
    const build = renderTaskBuild(BASE, approve(['apt_package:ripgrep']));
    expect(build.dockerfile).toBe(
      [`FROM ${BASE}`, 'USER 0', 'COPY debian-packages.txt /usr/share/openclaw/packages/task.txt', 'RUN install-debian-packages /usr/share/openclaw/packages/task.txt', 'USER 1001', ''].join('\n'),
    );
    expect(build.files).toEqual({ 'debian-packages.txt': 'ripgrep\n' });
  });

  it('renders Python packages alone without root in the final stage', () => {
    const build = renderTaskBuild(BASE, approve(['pip_package:six==1.16.0']));
    expect(build.dockerfile.split('\n').slice(-3)).toEqual([`FROM ${BASE}`, 'COPY --from=python-packages /opt/task-python /usr/local/lib/python3.11/dist-packages', '']);
    expect(Object.keys(build.files).sort()).toEqual(['python-build-packages.txt', 'requirements.txt']);
  });

  it('is deterministic: the same packages render the same bytes, whatever the request order', () => {
    const one = renderTaskBuild(BASE, approve(['pip_package:pandas==2.0.0', 'apt_package:ripgrep', 'apt_package:jq=1.6-2.1']));
    const two = renderTaskBuild(BASE, approve(['apt_package:jq=1.6-2.1', 'apt_package:ripgrep', 'pip_package:pandas==2.0.0']));
    expect(two).toEqual(one);
    expect(JSON.stringify(renderTaskBuild(BASE, approve(['apt_package:ripgrep'])))).toBe(JSON.stringify(renderTaskBuild(BASE, approve(['apt_package:ripgrep']))));
  });

  it.each([
    'openclaw-base:1.0.0',
    'openclaw-base',
    `openclaw-base@sha256:${'A1'.repeat(32)}`,
    `openclaw-base@sha256:${'a1'.repeat(31)}`,
    `openclaw-base:1.0.0@sha256:${'a1'.repeat(32)}\nRUN id`,
    `Openclaw-Base@${DIGEST}`,
    `openclaw base@${DIGEST}`,
    `openclaw-base@${DIGEST} AS x`,
    `\${BASE}@${DIGEST}`,
    '',
  ])('refuses the base reference %j', (reference) => {
    expect(() => renderTaskBuild(reference, approve(['apt_package:ripgrep']))).toThrow(/is not NAME@sha256:<64 hex digits>/);
  });

  it('refuses a set that does not come from a catalogue', () => {
    const forged = { aptPackages: [{ kind: 'apt_package', name: 'jq\nRUN id' }], pipPackages: [], labels: { capabilities: '' } } as ApprovedSet;
    expect(() => renderTaskBuild(BASE, forged)).toThrow(/Debian package name "jq\\nRUN id" does not match/);
    const unhashed = { aptPackages: [], pipPackages: [{ kind: 'pip_package', name: 'six', version: '1.16.0', sha256: [] }], labels: { capabilities: '' } } as ApprovedSet;
    expect(() => renderTaskBuild(BASE, unhashed)).toThrow(/has no wheel hash/);
  });
});
