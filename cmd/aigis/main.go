// Command aigis is the AI security platform: gateway, guard, discovery, model scanning.
package main

import (
	"os"

	"github.com/aigis-dev/aigis/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
