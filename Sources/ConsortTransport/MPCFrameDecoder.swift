import ConsortMPC
import NIOCore

/// Splits the byte stream into frames (length-prefixed), refusing oversized ones.
final class MPCFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= MPCFrame.maximumLength, Int(length) >= MPCFrame.headerLength else {
            throw MPCError(.protocolViolation, "MPC frame of \(length) bytes is out of bounds")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }
}
