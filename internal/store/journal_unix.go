//go:build unix

package store

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// journalSupported: the audit journal needs an advisory file lock shared
// by every process that opens the database (flock).
const journalSupported = true

// lockFile takes an exclusive flock on fd. Uncontended (the common case:
// one process appends, and in-process users queue on a mutex first) it is
// one system call; while another process holds the lock it polls, with
// short sleeps, for up to journalLockTimeout, so that a stuck or
// stopped process makes appends fail instead of hang.
func lockFile(fd uintptr) error {
	var deadline time.Time
	wait := 20 * time.Microsecond
	for {
		err := syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(journalLockTimeout)
		} else if time.Now().After(deadline) {
			return fmt.Errorf("another process has held it for over %v", journalLockTimeout)
		}
		time.Sleep(wait)
		wait = min(2*wait, time.Millisecond)
	}
}

func unlockFile(fd uintptr) error {
	return syscall.Flock(int(fd), syscall.LOCK_UN)
}
