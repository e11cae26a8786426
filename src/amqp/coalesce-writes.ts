import type { ChannelModel } from "amqplib";

interface Muxer {
  _readIncoming?: () => void;
  out?: { cork?: () => void; uncork?: () => void };
}

/**
 * amqplib's muxer writes each frame it takes from the channels as its own socket write (and with
 * `noDelay` its own TCP segment); a burst of acks from invocations that ended in the same turn is
 * then many small writes. Corking the socket around one muxer pass sends them as one. This reaches
 * into amqplib's internals: when their shape is not the expected one, nothing changes (false).
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const connection = (model as unknown as { connection?: { muxer?: Muxer } }).connection;
  const muxer = connection?.muxer;
  const out = muxer?.out;
  const read = muxer?._readIncoming;
  if (
    !muxer ||
    typeof read !== "function" ||
    typeof out?.cork !== "function" ||
    typeof out.uncork !== "function"
  )
    return false;
  muxer._readIncoming = () => {
    out.cork?.();
    try {
      read.call(muxer);
    } finally {
      out.uncork?.();
    }
  };
  return true;
}
