package api

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"

	"github.com/ctihost/ctihost/host/bus"
)

// wireCodec is gRPC's protobuf codec, except that an event the bus has
// already encoded is sent as its bytes: WatchEvents encodes each event once
// for all of its subscribers instead of once per subscriber.
type wireCodec struct{ proto encoding.CodecV2 }

func newWireCodec() wireCodec { return wireCodec{proto: encoding.GetCodecV2(proto.Name)} }

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	if e, ok := v.(*bus.Encoded); ok {
		if e.Wire == nil {
			return c.proto.Marshal(e.Event) // its error ends the stream
		}
		// SliceBuffer is never returned to a pool, so the bytes shared by
		// every subscriber stay intact after gRPC frees the buffer.
		return mem.BufferSlice{mem.SliceBuffer(e.Wire)}, nil
	}
	return c.proto.Marshal(v)
}

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

// Name keeps the content subtype "proto": the bytes on the wire are the
// same either way.
func (c wireCodec) Name() string { return c.proto.Name() }
