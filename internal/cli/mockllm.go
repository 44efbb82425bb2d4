package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigis-dev/aigis/internal/mockllm"
)

// newMockLLMCmd runs the scripted mock upstream (docs/mockllm.md).
func newMockLLMCmd() *cobra.Command {
	var (
		listen     string
		opt        mockllm.Options
		models     []string
		chunkDelay time.Duration
	)
	cmd := &cobra.Command{
		Use:   "mockllm",
		Short: "Run a mock LLM upstream speaking the OpenAI, Azure OpenAI and Anthropic wire formats",
		Long: `Run a scripted upstream that speaks the OpenAI (chat completions with SSE
streaming and tool calls, Responses, embeddings, models), Azure OpenAI
deployment paths and Anthropic Messages wire formats, with usage blocks.

Per request, the header X-Mock-Fault: hang|reset|broken-sse|<status> scripts a
failure and X-Mock-Echo: 1 replies with the last user text. A request that
offers tools and whose last user text names one gets a call to that tool.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opt.Chunks < 1 || opt.Chunks > 10000 {
				return &ExitError{Code: 2, Err: errors.New("--chunks must be between 1 and 10000")}
			}
			if opt.Latency < 0 || chunkDelay < 0 {
				return &ExitError{Code: 2, Err: errors.New("--latency and --chunk-delay must not be negative")}
			}
			if cmd.Flags().Changed("reply") && opt.Echo {
				return &ExitError{Code: 2, Err: errors.New("--reply and --echo are exclusive")}
			}
			opt.ChunkDelay = chunkDelay
			opt.Models = models
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return &ExitError{Code: 1, Err: fmt.Errorf("listen on %s: %w", listen, err)}
			}
			srv := &http.Server{
				Handler:           mockllm.New(opt),
				ReadHeaderTimeout: 10 * time.Second,
				MaxHeaderBytes:    1 << 20,
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			fmt.Fprintf(cmd.OutOrStdout(), "mockllm listening on http://%s (OpenAI base URL http://%s/v1, Anthropic base URL http://%s)\n",
				ln.Addr(), ln.Addr(), ln.Addr())
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return fmt.Errorf("mockllm server: %w", err)
			case <-ctx.Done():
			}
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdownCtx); err != nil {
				_ = srv.Close()
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8081", "address to listen on")
	f.DurationVar(&opt.Latency, "latency", 0, "delay before each response (before the first chunk of a stream)")
	f.IntVar(&opt.Chunks, "chunks", 4, "number of text chunks per streamed reply")
	f.DurationVar(&chunkDelay, "chunk-delay", 0, "delay between streamed chunks")
	f.StringVar(&opt.Reply, "reply", mockllm.DefaultReply, "canned reply text")
	f.BoolVar(&opt.Echo, "echo", false, "reply with the last user text instead of the canned reply")
	f.StringSliceVar(&models, "models", nil, "model ids listed by GET /v1/models (default: a built-in list)")
	return cmd
}
