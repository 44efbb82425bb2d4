package discover

// prefilter answers cheaply whether a text may hold any AI signal: it looks
// for distinctive 4-byte grams (case-insensitive) of the keywords the
// catalogers care about, in one pass with a 512 KiB bitset. A hit only means
// "look closer"; false positives cost time, never findings.
type prefilter struct {
	bits  [1 << 12]uint64 // 2^18 bits (32 KiB, stays in L1/L2)
	exact map[uint32]bool // the grams themselves, checked on a bit hit
}

var lowerTable = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		t[i] = c
	}
	return t
}()

// signalGrams are the distinctive grams; each stands for one or more
// keywords (noted beside it).
var signalGrams = []string{
	"enai",                 // openai, genai, azure openai
	"ropi",                 // anthropic
	"azur",                 // azure
	"gnit",                 // cognitive services
	"rtex",                 // vertex
	"ipla",                 // aiplatform
	"droc",                 // bedrock
	"gcha",                 // langchain
	"llam",                 // llama, ollama, llama_index
	"ckke", "c_ke", "c-ke", // semantic kernel
	"toge",                                                  // autogen, together
	"ewai",                                                  // crewai
	"ayst",                                                  // haystack
	"rmer",                                                  // transformers
	"torc",                                                  // torch
	"orfl",                                                  // tensorflow
	"kera",                                                  // keras
	"klea",                                                  // sklearn
	"vllm",                                                  // vllm
	"lcon",                                                  // modelcontextprotocol
	"mcp_", "mcp.", "mcp\"", "mcp'", "mcp-", "mcps", "mcp ", // mcp
	"gfac",         // huggingface
	"gpt-", "tgpt", // gpt models
	"\"o1-", "'o1-", "\"o3-", "'o3-", "\"o4-", "'o4-", "\"o1\"", "\"o3\"", "'o1'", "'o3'",
	"laud", // claude
	"emin", // gemini
	"mist", // mistral
	"ixtr", // mixtral
	"qwen", "psee", "grok", "groq", "oher", "rple", "nrou", "rewo", "pi.x", "1434", "hisp", "ll-e", "phi-", "nd-r",
	"_rem",         // trust_remote_code
	"_dan",         // allow_dangerous_deserialization
	"ickl", "obli", // pickle, joblib
	"aiza", "gsk_", // Google, Groq keys
	"plet", "nvok", // completions, invoke
	"-emb", // text-embedding
}

func newPrefilter() *prefilter {
	p := &prefilter{exact: map[uint32]bool{}}
	for _, g := range signalGrams {
		if len(g) == 4 {
			p.addGram(g)
		}
	}
	// key prefixes: sk-<alnum>, hf_<alnum>
	for c := byte('0'); c <= 'z'; c++ {
		if c <= '9' || c >= 'a' {
			p.addGram("sk-" + string(c))
			p.addGram("hf_" + string(c))
		}
	}
	return p
}

func gramOf(s string) uint32 {
	return uint32(lowerTable[s[0]])<<24 | uint32(lowerTable[s[1]])<<16 | uint32(lowerTable[s[2]])<<8 | uint32(lowerTable[s[3]])
}

func gramIndex(g uint32) uint32 { return (g * 0x9E3779B1) >> 14 }

func (p *prefilter) addGram(s string) {
	g := gramOf(s)
	i := gramIndex(g)
	p.bits[i>>6] |= 1 << (i & 63)
	p.exact[g] = true
}

// hit reports whether b holds any signal gram.
func (p *prefilter) hit(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	g := uint32(lowerTable[b[0]])<<16 | uint32(lowerTable[b[1]])<<8 | uint32(lowerTable[b[2]])
	for _, c := range b[3:] {
		g = g<<8 | uint32(lowerTable[c])
		i := gramIndex(g)
		if p.bits[i>>6]&(1<<(i&63)) != 0 && p.exact[g] {
			return true
		}
	}
	return false
}
