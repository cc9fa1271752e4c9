/**
 * The list of known differences itself (no broker needed): well-formed entries, README.md's
 * "Differences from Apache Kafka" list generated from it and current, and the diff engine the
 * differential tests use to hold observations against it.
 */
import { describe, expect, it } from 'vitest';
import { ABSENT, KNOWN_DIFFERENCES, readmeList, renderReadmeList, type KnownDifference } from './known-differences.js';
import { diff, explain, pathPattern } from './harness.js';

describe('known differences', () => {
  it('has unique kebab-case ids, a what, a why and where the tests see it', () => {
    const ids = KNOWN_DIFFERENCES.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const k of KNOWN_DIFFERENCES) {
      expect(k.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(k.what.length, k.id).toBeGreaterThan(10);
      expect(k.why.length, k.id).toBeGreaterThan(10);
      expect(k.where.length, k.id).toBeGreaterThan(0);
    }
  });

  it('are all listed in README.md, generated from known-differences.ts', () => {
    const current = readmeList();
    expect(current, 'README.md lacks the known-differences block').not.toBeNull();
    // To update: npx tsx test/differential/known-differences.ts --write-readme
    expect(current).toBe(renderReadmeList());
    for (const k of KNOWN_DIFFERENCES) expect(current).toContain(`\`${k.id}\``);
  });
});

describe('the diff engine', () => {
  it('diffs leaf by leaf and marks keys one side lacks', () => {
    expect(diff({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 1, b: { c: [1, 3, 4] }, e: null })).toEqual([
      { path: 'b/c/1', runnel: 2, kafka: 3 },
      { path: 'b/c/2', runnel: ABSENT, kafka: 4 },
      { path: 'd', runnel: 'x', kafka: ABSENT },
      { path: 'e', runnel: ABSENT, kafka: null },
    ]);
    expect(diff(5, 5)).toEqual([]);
    expect(diff(null, { a: 1 })).toEqual([{ path: '', runnel: null, kafka: { a: 1 } }]);
  });

  it('matches paths with * within a segment and ** across segments', () => {
    expect(pathPattern('apis/2 *').test('apis/2 ListOffsets')).toBe(true);
    expect(pathPattern('apis/2 *').test('apis/2 ListOffsets/x')).toBe(false);
    expect(pathPattern('configs/compression.*.level').test('configs/compression.zstd.level')).toBe(true);
    expect(pathPattern('**/errorMessage').test('a/b/errorMessage')).toBe(true);
    expect(pathPattern('**/errorMessage').test('errorMessage')).toBe(true);
    expect(pathPattern('a/**').test('a/b/c')).toBe(true);
    expect(pathPattern('').test('')).toBe(true);
  });

  it('explains differences by entry, and reports unexplained ones and stale entries', () => {
    const known: KnownDifference[] = [
      { id: 'x', what: 'x', why: 'x', where: [{ scenario: 's', path: 'a', runnel: 1, kafka: 2 }] },
      { id: 'y', what: 'y', why: 'y', where: [{ scenario: 's', path: 'gone' }, { scenario: 'other', path: 'b' }] },
      { id: 'z', what: 'z', why: 'z', where: [{ scenario: 's', path: 'n', when: (r, k) => (r as number) < (k as number) }] },
    ];
    const r = explain('s', { runnel: { a: 1, b: 1, n: 1, m: 5 }, kafka: { a: 2, b: 2, n: 9, m: 3 } }, known);
    expect(r.explained.map((d) => [d.path, d.id])).toEqual([
      ['a', 'x'],
      ['n', 'z'],
    ]);
    expect(r.unexplained.map((d) => d.path)).toEqual(['b', 'm']);
    expect(r.stale).toEqual([{ id: 'y', path: 'gone' }]);
    // A pinned value that no longer matches leaves the difference unexplained (and the entry stale).
    const changed = explain('s', { runnel: { a: 1 }, kafka: { a: 3 } }, known);
    expect(changed.unexplained.map((d) => d.path)).toEqual(['a']);
    expect(changed.stale.map((s) => s.id)).toEqual(['x', 'y', 'z']);
  });
});
