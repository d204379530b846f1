import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';

/**
 * The plain-object form of a message's init shape (without the already-built message branch), so
 * translators' results can be spread and extended before `create()`.
 */
export type ProtoInit<Desc extends DescMessage> = Exclude<MessageInitShape<Desc>, MessageShape<Desc>>;
