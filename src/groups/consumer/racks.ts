/**
 * The racks of a partition's replicas, for rack-aware consumer group assignment: in a cluster
 * from the metadata image (the replicas' brokers and their broker.rack), on one node this
 * broker's own broker.rack (it holds every replica). Empty when no rack is configured.
 */
interface RackImage {
  readonly brokers: ReadonlyMap<number, { readonly rack: string | null }>;
  readonly partitions: ReadonlyMap<string, ReadonlyMap<number, { readonly replicas: readonly number[] }>>;
}

export function partitionRacksOf(image: (() => RackImage) | null, localRack: string | null): (topic: string, partition: number) => readonly string[] {
  if (image === null) {
    const racks = localRack === null ? [] : [localRack];
    return () => racks;
  }
  return (topic, partition) => {
    const img = image();
    const replicas = img.partitions.get(topic)?.get(partition)?.replicas ?? [];
    const out: string[] = [];
    for (const id of replicas) {
      const rack = img.brokers.get(id)?.rack ?? null;
      if (rack !== null && !out.includes(rack)) out.push(rack);
    }
    return out;
  };
}
