//go:build unix

package store

import (
	"errors"
	"syscall"
)

// journalSupported: the audit journal needs an advisory file lock shared
// by every process that opens the database (flock).
const journalSupported = true

// lockFile takes an exclusive flock on fd, waiting for other holders.
func lockFile(fd uintptr) error {
	for {
		err := syscall.Flock(int(fd), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func unlockFile(fd uintptr) error {
	return syscall.Flock(int(fd), syscall.LOCK_UN)
}
