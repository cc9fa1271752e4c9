/**
 * Validators for config definitions (definitions.ts and the per-area tables beside it): each
 * returns an error message, or null when the value is acceptable.
 */
import type { ConfigValue } from './definitions.js';

export const atLeast = (min: number) => (v: ConfigValue) => (typeof v === 'number' && v >= min ? null : `must be at least ${min}`);
export const between = (min: number, max: number) => (v: ConfigValue) =>
  typeof v === 'number' && v >= min && v <= max ? null : `must be between ${min} and ${max}`;
export const oneOf = (...allowed: string[]) => (v: ConfigValue) => (typeof v === 'string' && allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`);
export const listOf = (...allowed: string[]) => (v: ConfigValue) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => allowed.includes(x)) ? null : `must be a list of ${allowed.join(', ')}`;
