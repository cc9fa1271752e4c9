/**
 * Schema evolution rules, decided by Avro's own resolution rules as avsc implements them:
 * `reader.createResolver(writer)` succeeds exactly when data written with `writer` can be read
 * with `reader` (matching names or aliases, fields missing on one side need a default on the
 * reader, promotions int→long→float→double and string↔bytes, enum symbols, union branches).
 *
 * BACKWARD: the new schema reads data written with the previous one(s); FORWARD: the previous
 * one(s) read data written with the new one; FULL: both. Plain levels compare with the latest
 * version only, _TRANSITIVE ones with every version still registered. NONE checks nothing.
 */
import type { Type } from 'avsc';

export const COMPATIBILITY_LEVELS = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

/** Parses a level as clients send it (any case); null when it is not one. */
export function parseCompatibilityLevel(v: unknown): CompatibilityLevel | null {
  if (typeof v !== 'string') return null;
  const up = v.toUpperCase();
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(up) ? (up as CompatibilityLevel) : null;
}

export interface PreviousSchema {
  version: number;
  type: Type;
}

function canRead(reader: Type, writer: Type): string | null {
  try {
    reader.createResolver(writer);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Checks `candidate` against `previous` (oldest first) under `level`; returns one message per
 * violation, empty when compatible.
 */
export function checkCompatibility(level: CompatibilityLevel, candidate: Type, previous: readonly PreviousSchema[]): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  for (const p of against) {
    if (backward) {
      const why = canRead(candidate, p.type);
      if (why !== null) messages.push(`{oldSchemaVersion: ${p.version}, compatibility: '${level}', direction: 'BACKWARD', description: 'the new schema cannot read data written with version ${p.version}: ${why}'}`);
    }
    if (forward) {
      const why = canRead(p.type, candidate);
      if (why !== null) messages.push(`{oldSchemaVersion: ${p.version}, compatibility: '${level}', direction: 'FORWARD', description: 'version ${p.version} cannot read data written with the new schema: ${why}'}`);
    }
  }
  return messages;
}
