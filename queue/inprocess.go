package queue

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// maxPipeBuffer bounds what a connection to the embedded server holds
// unwritten; a writer waits beyond it.
const maxPipeBuffer = 8 << 20

// inProcessServer hands nats.go connections to the embedded server whose
// writes do not wait for the server to read them.
//
// The server's in-process connection is a net.Pipe: a write returns only
// once the server's read loop for that client has taken all of it, and
// nats.go's flusher writes while holding the connection's lock. Every
// publisher and every worker acking then waited for the server to parse the
// previous batch. Here a write appends to a buffer that a goroutine copies
// into the pipe, as a socket's send buffer would.
type inProcessServer struct{ srv *server.Server }

func (p inProcessServer) InProcessConn() (net.Conn, error) {
	c, err := p.srv.InProcessConn()
	if err != nil {
		return nil, err
	}
	b := &bufferedConn{Conn: c}
	b.cond = sync.NewCond(&b.mu)
	go b.writeLoop()
	return b, nil
}

type bufferedConn struct {
	net.Conn

	mu      sync.Mutex
	cond    *sync.Cond // signalled when pending grows or drains, or on close
	pending []byte     // written by the client, not yet into the pipe
	spare   []byte
	writing bool  // the write loop is copying a batch into the pipe
	err     error // the pipe's write error, or net.ErrClosed after Close
}

// closeDrainTimeout bounds how long Close waits for queued bytes to reach
// the server.
const closeDrainTimeout = 5 * time.Second

// Write queues p for the pipe. It waits only while maxPipeBuffer bytes are
// queued already.
func (b *bufferedConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && len(b.pending) > 0 && len(b.pending)+len(p) > maxPipeBuffer {
		b.cond.Wait()
	}
	if b.err != nil {
		return 0, b.err
	}
	b.pending = append(b.pending, p...)
	b.cond.Broadcast()
	return len(p), nil
}

func (b *bufferedConn) writeLoop() {
	for {
		b.mu.Lock()
		for len(b.pending) == 0 && b.err == nil {
			b.cond.Wait()
		}
		if b.err != nil {
			b.mu.Unlock()
			return
		}
		out := b.pending
		b.pending = b.spare[:0]
		b.writing = true
		b.mu.Unlock()

		_, err := b.Conn.Write(out)

		b.mu.Lock()
		b.spare, b.writing = out[:0], false
		if err != nil && b.err == nil {
			b.err = err
		}
		b.cond.Broadcast() // room for writers waiting on the bound
		b.mu.Unlock()
	}
}

// SetWriteDeadline does nothing: writes do not block (but for the bound).
func (b *bufferedConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline applies to reads only, for the same reason.
func (b *bufferedConn) SetDeadline(t time.Time) error { return b.Conn.SetReadDeadline(t) }

// Close lets what is queued reach the server first, as closing a socket
// does (nats.go flushes its last acks and unsubscribes just before), for up
// to closeDrainTimeout; then it ends the pipe.
func (b *bufferedConn) Close() error {
	b.mu.Lock()
	timedOut := false
	t := time.AfterFunc(closeDrainTimeout, func() {
		b.mu.Lock()
		timedOut = true
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	for b.err == nil && !timedOut && (len(b.pending) > 0 || b.writing) {
		b.cond.Wait()
	}
	t.Stop()
	if b.err == nil {
		b.err = net.ErrClosed
	}
	b.cond.Broadcast()
	b.mu.Unlock()
	err := b.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
