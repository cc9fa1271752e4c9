/**
 * The V8 flags a broker process runs with: on the `runnel` command's shebang (src/cli.ts), in
 * `npm start`, the Dockerfile, and wherever tests and benchmarks start a broker process. They can
 * only be given on node's command line (V8 sizes its heap when the process starts; setting them
 * later through v8.setFlagsFromString has no effect).
 *
 * --initial-old-space-size=64: the bytes of ArrayBuffers that survive two scavenges count toward
 * the old generation, and produced batches are 1 MiB frames that routinely live that long (queued
 * for their group-commit write). With V8's default start, the old generation's limit is a small
 * multiple of the broker's small live heap (~8 MB), so every ~11 MB of such buffers started a full
 * mark-compact: 60-130 per GiB produced, about a third more CPU and 25% less produce throughput.
 * A 64 MB floor takes that to 3-7 per GiB (128 MB: 0-1, but then the garbage that parallel
 * decompression-bomb batches leave lingers past the hostile suite's 400 MiB RSS bound), for
 * ~15 MB more peak RSS under load; idle RSS is unchanged (nothing is allocated until used).
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];
