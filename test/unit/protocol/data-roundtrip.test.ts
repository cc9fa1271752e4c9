/**
 * Round-trips every version of every declared data message (protocol/data), the same way
 * roundtrip.test.ts does for the APIs, plus the version-prefixed form Kafka stores: write/read
 * give back the message and its version, unknown versions are refused (or read as the latest where
 * the declaration says newer versions only add fields), and malformed bytes give null, never a throw.
 */
import { describe, expect, it } from 'vitest';
import { parseData } from '../../../protocol/gen/codegen.js';
import { loadDataDeclarations } from '../../../protocol/gen/generate.js';
import * as D from '../../../protocol/generated/data/index.js';
import type { Reader, Writer } from '../../../protocol/primitives.js';
import { parseVersions } from '../../../protocol/schema.js';
import { MODES, build, diff, mulberry32, roundTrip, taggedFields, taggedSet, truncationPoints, type Ctx, type Obj, type Side } from './roundtrip-kit.js';

const decls = await loadDataDeclarations();
const lib = D as unknown as Record<string, unknown>;

type Write = (v: number, m: object) => Buffer;
type Read = (b: Buffer) => { version: number; message: object } | null;

// name: [min, max, first flexible version or -1, reads newer versions]. Changing a row is a
// deliberate act: the declaration, the generated code and this table move together.
const CATALOG: Record<string, [number, number, number, boolean]> = {
  ConsumerGroupCurrentMemberAssignmentKey: [8, 8, -1, false],
  ConsumerGroupCurrentMemberAssignmentValue: [0, 0, 0, true],
  ConsumerGroupMemberMetadataKey: [5, 5, -1, false],
  ConsumerGroupMemberMetadataValue: [0, 0, 0, true],
  ConsumerGroupMetadataKey: [3, 3, -1, false],
  ConsumerGroupMetadataValue: [0, 0, 0, true],
  ConsumerGroupPartitionMetadataKey: [4, 4, -1, false],
  ConsumerGroupPartitionMetadataValue: [0, 0, 0, true],
  ConsumerGroupRegularExpressionKey: [16, 16, -1, false],
  ConsumerGroupTargetAssignmentMemberKey: [7, 7, -1, false],
  ConsumerGroupTargetAssignmentMemberValue: [0, 0, 0, true],
  ConsumerGroupTargetAssignmentMetadataKey: [6, 6, -1, false],
  ConsumerGroupTargetAssignmentMetadataValue: [0, 0, 0, true],
  ConsumerProtocolAssignment: [0, 3, -1, true],
  ConsumerProtocolSubscription: [0, 3, -1, true],
  GroupMetadataKey: [2, 2, -1, false],
  GroupMetadataValue: [0, 4, 4, true],
  OffsetCommitKey: [0, 1, -1, false],
  OffsetCommitValue: [0, 4, 4, true],
  TransactionLogKey: [0, 0, -1, false],
  TransactionLogValue: [0, 1, 1, false],
  ShareStateKey: [0, 1, -1, false],
  ShareSnapshotValue: [0, 0, 0, false],
  ShareUpdateValue: [0, 0, 0, false],
  ShareGroupCurrentMemberAssignmentKey: [14, 14, -1, false],
  ShareGroupCurrentMemberAssignmentValue: [0, 0, 0, true],
  ShareGroupMemberMetadataKey: [10, 10, -1, false],
  ShareGroupMemberMetadataValue: [0, 0, 0, true],
  ShareGroupMetadataKey: [11, 11, -1, false],
  ShareGroupMetadataValue: [0, 0, 0, true],
  ShareGroupStatePartitionMetadataKey: [15, 15, -1, false],
  ShareGroupStatePartitionMetadataValue: [0, 0, 0, true],
  ShareGroupTargetAssignmentMemberKey: [13, 13, -1, false],
  ShareGroupTargetAssignmentMemberValue: [0, 0, 0, true],
  ShareGroupTargetAssignmentMetadataKey: [12, 12, -1, false],
  ShareGroupTargetAssignmentMetadataValue: [0, 0, 0, true],
};

let seed = 1;
const taggedSeen = new Set<string>();

it('declares the data messages of the catalog', () => {
  const got: Record<string, unknown> = {};
  for (const d of decls) {
    const m = lib[`${d.name}Data`] as { minVersion: number; maxVersion: number; flexibleFrom: number; readsNewer: boolean };
    got[d.name] = [m.minVersion, m.maxVersion, m.flexibleFrom, m.readsNewer];
  }
  expect(got).toEqual(CATALOG);
});

describe.each(decls.map((d) => [d.name, d] as const))('%s', (name, decl) => {
  const range = parseVersions(decl.versions)!;
  const versions = Array.from({ length: range.max - range.min + 1 }, (_, i) => range.min + i);
  const struct = parseData(decl);
  const s: Side = {
    decode: lib[`decode${name}`] as (r: Reader, v: number) => object,
    encode: lib[`encode${name}`] as (w: Writer, v: number, m: object) => void,
    size: lib[`size${name}`] as (v: number, m: object) => number,
  };
  const write = lib[`write${name}`] as Write;
  const read = lib[`read${name}`] as Read;

  it.each(versions)('v%i round-trips, bare and version-prefixed', (v) => {
    for (const mode of MODES) {
      for (let rep = 0; rep < (mode === 'mixed' ? 4 : 1); rep++) {
        const ctx: Ctx = { rnd: mulberry32(seed++), v, mode, lib };
        const where = `${name} v${v} ${mode}#${rep}`;
        const clean = roundTrip(struct, s, ctx, where);
        taggedSet(struct, clean, v, name, lib, taggedSeen);

        const prefixed = write(v, clean);
        expect(prefixed.readInt16BE(0)).toBe(v);
        const back = read(prefixed);
        expect(back?.version, where).toBe(v);
        expect(diff(clean, back!.message, where)).toBeNull();
        for (const cut of truncationPoints(prefixed.length)) {
          expect(read(prefixed.subarray(0, cut)), `${where} cut at ${cut}`).toBeNull();
        }
      }
    }
  });

  it(`reads a version above ${range.max} ${decl.readsNewer ? 'as the latest' : 'not at all'}`, () => {
    const { clean } = build(struct, { rnd: mulberry32(seed++), v: range.max, mode: 'full', lib });
    const newer = Buffer.from(write(range.max, clean));
    newer.writeInt16BE(range.max + 1, 0);
    const back = read(newer);
    if (decl.readsNewer) {
      expect(back?.version).toBe(range.max + 1);
      expect(diff(clean, back!.message, 'newer')).toBeNull();
    } else expect(back).toBeNull();
  });

  it('reads no version below the first, and writes only declared versions', () => {
    const m = (lib[`new${name}`] as () => Obj)();
    const below = Buffer.from(write(range.min, m));
    below.writeInt16BE(range.min - 1, 0);
    expect(read(below)).toBeNull();
    expect(() => write(range.max + 1, m)).toThrow(RangeError);
    expect(() => write(range.min - 1, m)).toThrow(RangeError);
  });
});

it('exercised every tagged field with a value set', () => {
  const all: string[] = [];
  for (const d of decls) taggedFields(parseData(d), d.name, parseVersions(d.versions)!.max, all);
  expect(all.length).toBeGreaterThan(0);
  expect(all.filter((t) => !taggedSeen.has(t))).toEqual([]);
});
