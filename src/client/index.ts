/**
 * Runnel's Kafka client, built on the protocol codecs the broker uses. It speaks to any Kafka
 * broker (versions are negotiated per connection), and is what the `runnel` CLI runs on.
 */
export { KafkaClient, parseBootstrap, type ClientOptions, type TopicInfo, type PartitionInfo, type BrokerInfo, type ClusterInfo } from './cluster.js';
export { BrokerConnection } from './connection.js';
export { Admin, ResourceType, OffsetSpec, CONFIG_SOURCES, tpKey, type ConfigEntry, type GroupDescription, type CommittedOffset, type TopicPartition, type AlterOp } from './admin.js';
export { Producer, COMPRESSION_CODECS, type ProducerOptions, type ProducerRecord, type RecordMetadata, type CompressionName } from './producer.js';
export { Fetcher, decodeRecordSet, type ConsumedRecord, type StartPosition, type FetcherOptions } from './fetcher.js';
export { Consumer, type ConsumerOptions } from './consumer.js';
export { GroupMember, type GroupMemberOptions } from './group-member.js';
export { rangeAssign } from './range-assignor.js';
export { KafkaResponseError, ConnectionError } from './errors.js';
