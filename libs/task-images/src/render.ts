import { type ApprovedSet } from './approve';
import { CANONICAL_PIP_NAME, DEBIAN_NAME, DEBIAN_VERSION, PIP_VERSION, SHA256_HEX } from './capability';

/** A base image pinned by digest, as the Dockerfile's FROM takes it: `name@sha256:<64 hex>`. */
export const BASE_REFERENCE = /^[a-z0-9./:-]+@sha256:[0-9a-f]{64}$/;

/**
 * Where the Python packages go in the task image: the site directory Debian's python3.11 (the base's interpreter)
 * keeps for local installs, first in site.getsitepackages(), so `import` finds them without PYTHONPATH (the runtime
 * runs with -I). A python:3.11 image from Docker Hub would use /usr/local/lib/python3.11/site-packages instead.
 */
export const TASK_SITE_PACKAGES = '/usr/local/lib/python3.11/dist-packages';

/** Where the build stage has pip install the wheels (only this directory reaches the task image). */
export const PIP_TARGET = '/opt/task-python';

/** Where install-debian-packages reads its lists (it keeps them in the image as a record). */
const PACKAGE_LISTS = '/usr/share/openclaw/packages';

/** The files of the build context renderTaskBuild makes, beside the Dockerfile. */
export const RENDERED_FILES = {
  debianPackages: 'debian-packages.txt',
  pythonBuildPackages: 'python-build-packages.txt',
  requirements: 'requirements.txt',
} as const;

/** A Dockerfile and the files it copies, rendered from catalogue entries only. */
export interface TaskBuild {
  readonly dockerfile: string;
  /** Build-context file name -> content. */
  readonly files: Record<string, string>;
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function check(value: string, pattern: RegExp, what: string): string {
  // The set comes from the catalogue, whose schema already holds these; checked again so no byte outside the grammar
  // can reach a Dockerfile whatever builds the set.
  if (!pattern.test(value)) throw new Error(`renderTaskBuild: ${what} ${JSON.stringify(value)} does not match ${pattern}`);
  return value;
}

/**
 * The Dockerfile of a task image FROM `baseReference` (`name@sha256:...`, or this throws) with the approved packages,
 * and the files it copies. Deterministic: the same set renders the same bytes. Debian packages go through the base's
 * install-debian-packages as root, then back to UID 1001. Python packages are installed in a separate stage by
 * Debian's pip (--isolated: no pip config file or PIP_* variable of the base applies; --require-hashes, binary wheels only, no dependency resolution, from the index in the PIP_INDEX_URL
 * build argument) into a directory that alone is copied into the task image, so pip never remains in it. No labels:
 * the caller adds them.
 */
export function renderTaskBuild(baseReference: string, set: ApprovedSet): TaskBuild {
  if (typeof baseReference !== 'string' || !BASE_REFERENCE.test(baseReference)) {
    throw new Error(`renderTaskBuild: base reference ${JSON.stringify(baseReference)} is not NAME@sha256:<64 hex digits>`);
  }
  const lines: string[] = [];
  const files: Record<string, string> = {};
  const pipPackages = [...set.pipPackages].sort(byName);
  const aptPackages = [...set.aptPackages].sort(byName);

  if (pipPackages.length) {
    if (pipPackages.some((pkg) => pkg.sha256.length === 0)) throw new Error('renderTaskBuild: a Python package has no wheel hash');
    files[RENDERED_FILES.pythonBuildPackages] = 'python3-pip\n';
    files[RENDERED_FILES.requirements] = pipPackages
      .map((pkg) => {
        const hashes = [...pkg.sha256].sort().map((hash) => ` --hash=sha256:${check(hash, SHA256_HEX, 'wheel hash')}`).join('');
        return `${check(pkg.name, CANONICAL_PIP_NAME, 'Python package name')}==${check(pkg.version, PIP_VERSION, 'Python package version')}${hashes}\n`;
      })
      .join('');
    lines.push(
      `FROM ${baseReference} AS python-packages`,
      'USER 0',
      `COPY ${RENDERED_FILES.pythonBuildPackages} ${PACKAGE_LISTS}/python-build.txt`,
      `RUN install-debian-packages ${PACKAGE_LISTS}/python-build.txt`,
      `COPY ${RENDERED_FILES.requirements} /tmp/requirements.txt`,
      'ARG PIP_INDEX_URL',
      `RUN test -n "$PIP_INDEX_URL" || { echo 'PIP_INDEX_URL is empty: build with --build-arg PIP_INDEX_URL=<the package index to install the approved wheels from>' >&2; exit 1; }`,
      `RUN python3 -m pip install --isolated --no-cache-dir --require-hashes --only-binary=:all: --no-deps --index-url "$PIP_INDEX_URL" --target ${PIP_TARGET} -r /tmp/requirements.txt`,
      '',
    );
  }

  lines.push(`FROM ${baseReference}`);
  if (aptPackages.length) {
    files[RENDERED_FILES.debianPackages] = aptPackages
      .map((pkg) => `${check(pkg.name, DEBIAN_NAME, 'Debian package name')}${pkg.version === undefined ? '' : `=${check(pkg.version, DEBIAN_VERSION, 'Debian version')}`}\n`)
      .join('');
    lines.push('USER 0', `COPY ${RENDERED_FILES.debianPackages} ${PACKAGE_LISTS}/task.txt`, `RUN install-debian-packages ${PACKAGE_LISTS}/task.txt`, 'USER 1001');
  }
  if (pipPackages.length) lines.push(`COPY --from=python-packages ${PIP_TARGET} ${TASK_SITE_PACKAGES}`);

  return { dockerfile: `${lines.join('\n')}\n`, files };
}
