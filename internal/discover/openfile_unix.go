//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package discover

import (
	"io"
	"os"
	"syscall"
)

// scanFile is a read-only file opened with a plain open(2): os.Open also
// registers every file with the runtime poller (an fcntl and an epoll_ctl
// per file, about a tenth of a whole-tree scan) although regular files never
// block. Only the rare model file that is hashed is turned into an *os.File.
type scanFile struct {
	fd   int
	name string
}

func openScanFile(name string) (*scanFile, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return &scanFile{fd: fd, name: name}, nil
	}
}

func (f *scanFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(f.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "read", Path: f.name, Err: err}
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *scanFile) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	return err
}
