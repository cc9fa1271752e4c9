import { describe, expect, it } from 'vitest';
import { murmur2, murmur2Partition, partitionForKey, toPositive } from '../../../src/client/partitioner.js';
import { fixture } from './sample-records.js';

interface Vector {
  keyHex: string;
  murmur2: number;
  positive: number;
  p3: number;
  p100: number;
}

describe('murmur2 partitioner', () => {
  // Produced by org.apache.kafka.common.utils.Utils (kafka-clients 4.1.1): fixtures/gen/GoldenJava.java.
  const vectors = JSON.parse(fixture('murmur2-java.json').toString()) as Vector[];

  it('matches Java Utils.murmur2, toPositive and the partition choice', () => {
    for (const v of vectors) {
      const key = Buffer.from(v.keyHex, 'hex');
      expect(murmur2(key), v.keyHex).toBe(v.murmur2);
      expect(toPositive(murmur2(key))).toBe(v.positive);
      expect(partitionForKey(key, 3)).toBe(v.p3);
      expect(partitionForKey(key, 100)).toBe(v.p100);
    }
    expect(vectors.length).toBeGreaterThan(15);
  });

  it('matches the Java-produced vectors kafkajs tests against (string keys as UTF-8)', () => {
    // kafkajs src/producer/partitioners/defaultJava/murmur2.spec.js ("Generated with Test.java").
    // Its legacy partitioner's table (default/, kafkajs 1.x) differs: that one was not Java's.
    const kafkajs: Record<string, number> = {
      '0': 971027396,
      '1': -1993445489,
      '128': -326012175,
      '2187': -1508407203,
      '16384': -325739742,
      '78125': -1654490814,
      '279936': 1462227128,
      '823543': -2014198330,
      '2097152': 607668903,
      '4782969': -1182699775,
      '10000000': -1830336757,
      '19487171': -1603849305,
      '35831808': -857013643,
      '62748517': -1167431028,
      '105413504': -381294639,
      '170859375': -1658323481,
      '100:48069': 1009543857,
    };
    for (const [key, hash] of Object.entries(kafkajs)) expect(murmur2(Buffer.from(key))).toBe(hash);
    expect(partitionForKey('key-17', 7)).toBe(partitionForKey(Buffer.from('key-17'), 7));
    expect(murmur2Partition).toBe(partitionForKey);
  });

  it('toPositive clears the sign bit (MIN_VALUE → 0, unlike Math.abs)', () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(2147483647);
  });

  it('rejects a non-positive partition count', () => {
    expect(() => partitionForKey('k', 0)).toThrow(RangeError);
  });
});
