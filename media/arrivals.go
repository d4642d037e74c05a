package media

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// arrivals note when each participant's latest audio packet came off the media port, so that the
// time a packet spends in the server — from the socket to its last forwarded write — can be
// measured without keeping anything per packet.
type arrivals struct {
	epoch time.Time

	mu    sync.RWMutex
	slots map[netip.AddrPort]*arrivalSlot
}

// arrivalWindow is how many of an address's latest audio packets are remembered: 32 packets of
// 20 ms, so a packet is still timed when it took up to 640 ms to be read — a measure that forgot
// slow packets would report only the fast ones.
const arrivalWindow = 32

// arrivalSlot holds the latest audio packets from one address, each at the index of its RTP
// sequence number modulo the window: its arrival in microseconds since the epoch in the high
// 48 bits, its sequence number in the low 16.
type arrivalSlot struct {
	noted [arrivalWindow]atomic.Uint64
	addr  netip.AddrPort
}

func newArrivals() *arrivals {
	return &arrivals{epoch: time.Now(), slots: map[netip.AddrPort]*arrivalSlot{}}
}

// watch starts noting the audio packets that come from addr, for one peer connection.
func (a *arrivals) watch(addr netip.AddrPort) *arrivalSlot {
	slot := &arrivalSlot{addr: netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())}
	a.mu.Lock()
	a.slots[slot.addr] = slot
	a.mu.Unlock()
	return slot
}

// forget stops noting packets for slot, unless another peer connection watches its address by now.
func (a *arrivals) forget(slot *arrivalSlot) {
	a.mu.Lock()
	if a.slots[slot.addr] == slot {
		delete(a.slots, slot.addr)
	}
	a.mu.Unlock()
}

// note records a packet read off the socket when it is an audio packet from a watched address.
// The RTP header of an SRTP packet is in the clear, so its payload type and sequence number can
// be read before pion decrypts it.
func (a *arrivals) note(packet []byte, from netip.AddrPort) {
	if len(packet) < 12 || packet[0]>>6 != 2 || packet[1]&0x7f != uint8(opusCodec.PayloadType) {
		return
	}
	a.mu.RLock()
	slot := a.slots[netip.AddrPortFrom(from.Addr().Unmap(), from.Port())]
	a.mu.RUnlock()
	if slot != nil {
		seq := binary.BigEndian.Uint16(packet[2:4])
		slot.noted[seq%arrivalWindow].Store(uint64(a.micros())<<16 | uint64(seq))
	}
}

// inServer is how long the packet with sequence number seq has been in the server, when it is
// among the latest audio packets noted in slot.
func (a *arrivals) inServer(slot *arrivalSlot, seq uint16) (time.Duration, bool) {
	noted := slot.noted[seq%arrivalWindow].Load()
	if noted == 0 || uint16(noted) != seq {
		return 0, false
	}
	return time.Duration(a.micros()-int64(noted>>16)) * time.Microsecond, true
}

func (a *arrivals) micros() int64 { return time.Since(a.epoch).Microseconds() }

// timedNet is the standard network whose UDP sockets note the arrival of audio packets.
type timedNet struct {
	*stdnet.Net
	arrivals *arrivals
}

func (n *timedNet) ListenUDP(network string, addr *net.UDPAddr) (transport.UDPConn, error) {
	conn, err := net.ListenUDP(network, addr)
	if err != nil {
		return nil, err
	}
	return &timedConn{UDPConn: conn, arrivals: n.arrivals}, nil
}

// timedConn is a UDP socket that notes each audio packet it reads. It keeps pion's
// allocation-free address path (ReadFromAddrPort and WriteToAddrPort).
type timedConn struct {
	*net.UDPConn
	arrivals *arrivals
}

func (c *timedConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err == nil {
		c.arrivals.note(b[:n], from)
	}
	return n, from, err
}

func (c *timedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

func (c *timedConn) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	return c.WriteToUDPAddrPort(b, to)
}
