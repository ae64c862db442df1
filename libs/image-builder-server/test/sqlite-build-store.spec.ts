import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queuedBuild, SqliteBuildStore, type BuildRecord } from '../src';

// Created one after another, so the store's order by creation is the order of the ids.
const record = (id: string): BuildRecord => queuedBuild(id, `task-${id}`, ['apt_package:jq'], new Date(Date.now() + Number(id.replace(/\D/g, '') || 0)).toISOString());

describe('build records in SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'build-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every record, state change and log line across a reopen (a restart loses nothing)', () => {
    const store = new SqliteBuildStore(dir);
    store.create(record('b1'));
    store.create(record('b2'));
    store.create(record('b3'));
    store.update('b1', { state: 'building', base_digest: 'sha256:abc' });
    store.update('b2', { state: 'done', image: 'localhost:5000/openclaw-task@sha256:def' });
    store.appendLog('b1', 'step one');
    store.appendLog('b1', 'step two');
    store.close();

    const reopened = new SqliteBuildStore(dir);
    expect(reopened.get('b1')).toMatchObject({ state: 'building', base_digest: 'sha256:abc', capabilities: ['apt_package:jq'] });
    expect(reopened.get('b2')).toMatchObject({ state: 'done', image: 'localhost:5000/openclaw-task@sha256:def' });
    expect(reopened.unfinished().map((build) => build.id)).toEqual(['b1', 'b3']);
    expect(reopened.log('b1')).toEqual(['step one', 'step two']);
    reopened.appendLog('b1', 'after the restart');
    expect(reopened.log('b1', 2)).toEqual(['after the restart']);
    expect(reopened.countInState('queued', 'building')).toBe(2);
    expect(reopened.get('missing')).toBeUndefined();
    reopened.close();
  });

  it('stores values as given, whatever characters they hold', () => {
    const store = new SqliteBuildStore(dir);
    store.create(record('b1'));
    const error = "step `RUN x` failed: it's \"quoted\"; DROP TABLE builds; --\u2028";
    store.update('b1', { state: 'failed', error });
    expect(store.get('b1')!.error).toBe(error);
    expect(store.get('b1')!.state).toBe('failed');
    store.close();
  });
});
