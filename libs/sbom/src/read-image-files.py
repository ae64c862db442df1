"""Prints, as one JSON object, the files an SBOM is read from.

Runs inside a container of the image being described, as the image's own user,
with no network and a read-only root filesystem, on the image's own python3
(standard library only). It only collects file contents; every format is parsed
by libs/sbom on the host, where the parsers are tested.
"""
import json
import os
import sys

# The kernel's and the engine's filesystems in the container, and folders that hold no package metadata but many files.
SKIP = {'/proc', '/sys', '/dev', '/run', '/usr/share/doc', '/usr/share/locale', '/usr/share/man', '/usr/share/zoneinfo',
        '/usr/include', '/var/cache', '/var/log'}
DEBIAN_NODE_ROOTS = ['/usr/share/nodejs', '/usr/lib/nodejs']
GO_ROOTS = ['/usr/local/go']


def read(path):
    # A file the image user may not read is left out rather than failing the SBOM.
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except OSError:
        return None


def entries(folder):
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def metadata_headers(path):
    # Core metadata is an e-mail message: the headers end at the first empty line, the long description follows.
    text = read(path)
    if text is None:
        return None
    end = text.find('\n\n')
    return text if end < 0 else text[:end + 1]


def python_distributions(folder, out):
    for entry in entries(folder):
        path = os.path.join(folder, entry.name)
        if entry.name.endswith('.dist-info') and entry.is_dir():
            text = metadata_headers(os.path.join(path, 'METADATA'))
        elif entry.name.endswith('.egg-info'):
            # Debian's python3-* packages often install the egg-info as one PKG-INFO file, not a folder.
            text = metadata_headers(os.path.join(path, 'PKG-INFO') if entry.is_dir() else path)
        else:
            continue
        if text is not None:
            out.append({'path': path, 'text': text})


def npm_packages(root, out, seen):
    real = os.path.realpath(root)
    if real in seen:
        return
    seen.add(real)
    for entry in entries(root):
        if not entry.is_dir():
            continue
        folders = [os.path.join(root, entry.name)]
        if entry.name.startswith('@'):
            folders = [os.path.join(root, entry.name, e.name) for e in entries(folders[0]) if e.is_dir()]
        for folder in folders:
            # Debian links some packages under a second name: one package, listed once.
            if os.path.realpath(folder) in seen:
                continue
            seen.add(os.path.realpath(folder))
            text = read(os.path.join(folder, 'package.json'))
            if text is not None:
                out.append({'path': folder, 'text': text})
            npm_packages(os.path.join(folder, 'node_modules'), out, seen)


def is_go_root(path):
    return os.path.isfile(os.path.join(path, 'VERSION')) and os.path.isdir(os.path.join(path, 'src', 'runtime'))


def main():
    found = {'osRelease': read('/etc/os-release') or read('/usr/lib/os-release'), 'debianVersion': read('/etc/debian_version'),
             'dpkgStatus': [], 'copyrights': {}, 'python': [], 'npm': [], 'go': []}

    for path in ['/var/lib/dpkg/status'] + [os.path.join('/var/lib/dpkg/status.d', e.name) for e in entries('/var/lib/dpkg/status.d')]:
        text = read(path)
        if text is not None:
            found['dpkgStatus'].append({'path': path, 'text': text})
    for entry in entries('/usr/share/doc'):
        text = read(os.path.join('/usr/share/doc', entry.name, 'copyright'))
        if text is not None:
            found['copyrights'][entry.name] = text

    # The interpreter's own site directories, then any other site-packages/dist-packages/node_modules (virtual
    # environments, applications) found walking the filesystem.
    python_dirs = [p for p in sys.path if p and os.path.isdir(p)]
    node_roots = list(DEBIAN_NODE_ROOTS)
    go_roots = list(GO_ROOTS)
    for top, folders, _ in os.walk('/'):
        keep = []
        for name in folders:
            path = os.path.join(top, name)
            if path in SKIP or path in DEBIAN_NODE_ROOTS:
                continue
            if name in ('site-packages', 'dist-packages'):
                python_dirs.append(path)
            elif name == 'node_modules':
                node_roots.append(path)
            elif is_go_root(path):
                go_roots.append(path)
            else:
                keep.append(name)
        folders[:] = keep

    seen = set()
    for folder in python_dirs:
        real = os.path.realpath(folder)
        if real not in seen:
            seen.add(real)
            python_distributions(folder, found['python'])
    seen = set()
    for root in node_roots:
        npm_packages(root, found['npm'], seen)
    seen = set()
    for root in go_roots:
        real = os.path.realpath(root)
        text = read(os.path.join(root, 'VERSION'))
        if text is not None and real not in seen and is_go_root(root):
            seen.add(real)
            found['go'].append({'path': real, 'text': text})

    json.dump(found, sys.stdout)


main()
