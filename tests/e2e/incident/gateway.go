// SPDX-License-Identifier: GPL-2.0
// gateway.go - the upstream "API gateway" of the incident rsttrace explains (docs/design.md;
// docs/kernel.md §1g). Standard library only.
//
// Each request: read the whole body, sleep -delay (3.4 s), then answer -size bytes
// (160768, 157 KiB) with a Content-Length, in one w.Write (or -chunk sized Writes), and log
// what each Write returned: in the incident `write: broken pipe`.
//
// stdout: exactly one line once listening: "rt_gateway: listening ADDR pid=PID".
// stderr: the log, one line per step, ending for each request with "response done ...".
// It exits by itself after -life (at most 10 min), or on SIGTERM/SIGINT, status 0.
// Build it as a binary named rt_gateway so its comm is predictable.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8878", "listen address (loopback)")
	delay := flag.Duration("delay", 3400*time.Millisecond, "sleep before answering")
	size := flag.Int("size", 160768, "response body bytes")
	chunk := flag.Int("chunk", 0, "bytes per Write (0: one Write of the whole body)")
	life := flag.Duration("life", 60*time.Second, "exit after this long (at most 10m)")
	flag.Parse()
	if *life <= 0 || *life > 10*time.Minute {
		*life = 10 * time.Minute
	}
	if *size < 0 {
		*size = 0
	}
	if *chunk <= 0 || *chunk > *size {
		*chunk = *size
	}
	log.SetOutput(os.Stderr)
	log.SetFlags(log.Ldate | log.Ltime | log.Lmicroseconds)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}

	done := make(chan string, 1)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		select {
		case s := <-sig:
			done <- "signal " + s.String()
		case <-time.After(*life):
			done <- "life over"
		}
	}()

	body := bytes.Repeat([]byte("G"), *size)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		log.Printf("request %s %s from %s body=%d err=%v", r.Method, r.URL.Path, r.RemoteAddr, n, err)
		time.Sleep(*delay)
		log.Printf("after sleep: ctx.Err=%v", r.Context().Err())
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		written := 0
		var werr error
		for written < len(body) {
			end := written + *chunk
			if end > len(body) {
				end = len(body)
			}
			wn, err := w.Write(body[written:end])
			log.Printf("write %d bytes: n=%d err=%v", end-written, wn, err)
			written += wn
			if err != nil {
				werr = err
				break
			}
		}
		log.Printf("response done from %s: written=%d of %d err=%v", r.RemoteAddr, written, len(body), werr)
	})

	go func() {
		err := http.Serve(ln, nil)
		done <- fmt.Sprintf("serve: %v", err)
	}()
	fmt.Printf("rt_gateway: listening %s pid=%d\n", ln.Addr(), os.Getpid())
	log.Printf("listening %s pid=%d delay=%v size=%d chunk=%d life=%v", ln.Addr(), os.Getpid(), *delay, *size, *chunk, *life)

	why := <-done
	log.Printf("exiting: %s", why)
	ln.Close()
	os.Exit(0)
}
