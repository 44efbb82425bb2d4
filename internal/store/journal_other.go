//go:build !unix

package store

import "errors"

// journalSupported: without flock the SQLite store appends to its table
// directly (BEGIN IMMEDIATE per append), as it did before the journal.
const journalSupported = false

func lockFile(uintptr) error   { return errors.ErrUnsupported }
func unlockFile(uintptr) error { return errors.ErrUnsupported }
