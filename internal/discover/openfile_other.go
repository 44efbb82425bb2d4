//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package discover

import "os"

// scanFile is an *os.File where no cheaper plain open is implemented.
type scanFile = os.File

func openScanFile(name string) (*scanFile, error) { return os.Open(name) }
