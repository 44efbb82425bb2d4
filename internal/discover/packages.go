package discover

import "strings"

// Ecosystems.
const (
	ecoPyPI  = "pypi"
	ecoNPM   = "npm"
	ecoGo    = "golang"
	ecoMaven = "maven"
	ecoNuGet = "nuget"
)

// pkgRule maps a package name (exact, or prefix when it ends in "*") in one
// ecosystem to the framework it belongs to and its category.
type pkgRule struct {
	eco, name, framework, category string
}

// Categories.
const (
	catLLMSDK   = "llm-sdk"
	catAgent    = "agent-framework"
	catML       = "ml-framework"
	catServing  = "model-serving"
	catMCP      = "mcp-sdk"
	catVectorDB = "vector-db"
	catCloudAI  = "cloud-ai-sdk"
)

var pkgRules = []pkgRule{
	// Python (PyPI names, lower-case, '_' and '.' normalised to '-')
	{ecoPyPI, "openai", "OpenAI SDK", catLLMSDK},
	{ecoPyPI, "openai-agents", "OpenAI Agents SDK", catAgent},
	{ecoPyPI, "anthropic", "Anthropic SDK", catLLMSDK},
	{ecoPyPI, "azure-ai-openai", "Azure OpenAI SDK", catCloudAI},
	{ecoPyPI, "azure-ai-ml", "Azure Machine Learning SDK", catCloudAI},
	{ecoPyPI, "azure-ai-*", "Azure AI SDK", catCloudAI},
	{ecoPyPI, "azure-cognitiveservices-*", "Azure Cognitive Services SDK", catCloudAI},
	{ecoPyPI, "azure-search-documents", "Azure AI Search SDK", catCloudAI},
	{ecoPyPI, "google-genai", "Google Gen AI SDK", catLLMSDK},
	{ecoPyPI, "google-generativeai", "Google Generative AI SDK", catLLMSDK},
	{ecoPyPI, "google-cloud-aiplatform", "Vertex AI SDK", catCloudAI},
	{ecoPyPI, "vertexai", "Vertex AI SDK", catCloudAI},
	{ecoPyPI, "langchain", "LangChain", catAgent},
	{ecoPyPI, "langchain-*", "LangChain", catAgent},
	{ecoPyPI, "langgraph", "LangGraph", catAgent},
	{ecoPyPI, "langgraph-*", "LangGraph", catAgent},
	{ecoPyPI, "llama-index", "LlamaIndex", catAgent},
	{ecoPyPI, "llama-index-*", "LlamaIndex", catAgent},
	{ecoPyPI, "semantic-kernel", "Semantic Kernel", catAgent},
	{ecoPyPI, "autogen", "AutoGen", catAgent},
	{ecoPyPI, "pyautogen", "AutoGen", catAgent},
	{ecoPyPI, "autogen-*", "AutoGen", catAgent},
	{ecoPyPI, "ag2", "AutoGen (AG2)", catAgent},
	{ecoPyPI, "crewai", "CrewAI", catAgent},
	{ecoPyPI, "crewai-tools", "CrewAI", catAgent},
	{ecoPyPI, "haystack-ai", "Haystack", catAgent},
	{ecoPyPI, "farm-haystack", "Haystack", catAgent},
	{ecoPyPI, "pydantic-ai", "Pydantic AI", catAgent},
	{ecoPyPI, "dspy", "DSPy", catAgent},
	{ecoPyPI, "dspy-ai", "DSPy", catAgent},
	{ecoPyPI, "litellm", "LiteLLM", catLLMSDK},
	{ecoPyPI, "mistralai", "Mistral SDK", catLLMSDK},
	{ecoPyPI, "cohere", "Cohere SDK", catLLMSDK},
	{ecoPyPI, "groq", "Groq SDK", catLLMSDK},
	{ecoPyPI, "together", "Together SDK", catLLMSDK},
	{ecoPyPI, "transformers", "Hugging Face Transformers", catML},
	{ecoPyPI, "huggingface-hub", "Hugging Face Hub", catML},
	{ecoPyPI, "diffusers", "Hugging Face Diffusers", catML},
	{ecoPyPI, "sentence-transformers", "Sentence Transformers", catML},
	{ecoPyPI, "peft", "Hugging Face PEFT", catML},
	{ecoPyPI, "torch", "PyTorch", catML},
	{ecoPyPI, "torchvision", "PyTorch", catML},
	{ecoPyPI, "tensorflow", "TensorFlow", catML},
	{ecoPyPI, "tensorflow-*", "TensorFlow", catML},
	{ecoPyPI, "keras", "Keras", catML},
	{ecoPyPI, "tf-keras", "Keras", catML},
	{ecoPyPI, "scikit-learn", "scikit-learn", catML},
	{ecoPyPI, "sklearn", "scikit-learn", catML},
	{ecoPyPI, "xgboost", "XGBoost", catML},
	{ecoPyPI, "lightgbm", "LightGBM", catML},
	{ecoPyPI, "onnx", "ONNX", catML},
	{ecoPyPI, "onnxruntime", "ONNX Runtime", catServing},
	{ecoPyPI, "onnxruntime-*", "ONNX Runtime", catServing},
	{ecoPyPI, "safetensors", "safetensors", catML},
	{ecoPyPI, "vllm", "vLLM", catServing},
	{ecoPyPI, "ollama", "Ollama", catServing},
	{ecoPyPI, "llama-cpp-python", "llama.cpp", catServing},
	{ecoPyPI, "mcp", "MCP Python SDK", catMCP},
	{ecoPyPI, "fastmcp", "FastMCP", catMCP},
	{ecoPyPI, "chromadb", "Chroma", catVectorDB},
	{ecoPyPI, "pinecone", "Pinecone", catVectorDB},
	{ecoPyPI, "pinecone-client", "Pinecone", catVectorDB},
	{ecoPyPI, "qdrant-client", "Qdrant", catVectorDB},
	{ecoPyPI, "weaviate-client", "Weaviate", catVectorDB},
	{ecoPyPI, "faiss-cpu", "FAISS", catVectorDB},
	{ecoPyPI, "faiss-gpu", "FAISS", catVectorDB},
	// npm
	{ecoNPM, "openai", "OpenAI SDK", catLLMSDK},
	{ecoNPM, "@openai/agents", "OpenAI Agents SDK", catAgent},
	{ecoNPM, "@anthropic-ai/sdk", "Anthropic SDK", catLLMSDK},
	{ecoNPM, "@anthropic-ai/*", "Anthropic SDK", catLLMSDK},
	{ecoNPM, "@azure/openai", "Azure OpenAI SDK", catCloudAI},
	{ecoNPM, "@azure-rest/ai-*", "Azure AI SDK", catCloudAI},
	{ecoNPM, "@azure/ai-*", "Azure AI SDK", catCloudAI},
	{ecoNPM, "@azure/search-documents", "Azure AI Search SDK", catCloudAI},
	{ecoNPM, "@google/genai", "Google Gen AI SDK", catLLMSDK},
	{ecoNPM, "@google/generative-ai", "Google Generative AI SDK", catLLMSDK},
	{ecoNPM, "@google-cloud/vertexai", "Vertex AI SDK", catCloudAI},
	{ecoNPM, "@google-cloud/aiplatform", "Vertex AI SDK", catCloudAI},
	{ecoNPM, "@aws-sdk/client-bedrock*", "AWS Bedrock SDK", catCloudAI},
	{ecoNPM, "@aws-sdk/client-sagemaker*", "AWS SageMaker SDK", catCloudAI},
	{ecoNPM, "langchain", "LangChain", catAgent},
	{ecoNPM, "@langchain/*", "LangChain", catAgent},
	{ecoNPM, "llamaindex", "LlamaIndex", catAgent},
	{ecoNPM, "@llamaindex/*", "LlamaIndex", catAgent},
	{ecoNPM, "ai", "Vercel AI SDK", catLLMSDK},
	{ecoNPM, "@ai-sdk/*", "Vercel AI SDK", catLLMSDK},
	{ecoNPM, "@modelcontextprotocol/sdk", "MCP TypeScript SDK", catMCP},
	{ecoNPM, "ollama", "Ollama", catServing},
	{ecoNPM, "@huggingface/*", "Hugging Face JS", catML},
	{ecoNPM, "@xenova/transformers", "Transformers.js", catML},
	{ecoNPM, "@tensorflow/tfjs*", "TensorFlow.js", catML},
	{ecoNPM, "onnxruntime-node", "ONNX Runtime", catServing},
	{ecoNPM, "onnxruntime-web", "ONNX Runtime", catServing},
	{ecoNPM, "@mistralai/mistralai", "Mistral SDK", catLLMSDK},
	{ecoNPM, "cohere-ai", "Cohere SDK", catLLMSDK},
	{ecoNPM, "groq-sdk", "Groq SDK", catLLMSDK},
	{ecoNPM, "@pinecone-database/pinecone", "Pinecone", catVectorDB},
	{ecoNPM, "chromadb", "Chroma", catVectorDB},
	{ecoNPM, "@qdrant/js-client-rest", "Qdrant", catVectorDB},
	// Go modules
	{ecoGo, "github.com/openai/openai-go*", "OpenAI SDK", catLLMSDK},
	{ecoGo, "github.com/sashabaranov/go-openai", "go-openai", catLLMSDK},
	{ecoGo, "github.com/anthropics/anthropic-sdk-go", "Anthropic SDK", catLLMSDK},
	{ecoGo, "github.com/Azure/azure-sdk-for-go/sdk/ai/*", "Azure AI SDK", catCloudAI},
	{ecoGo, "google.golang.org/genai", "Google Gen AI SDK", catLLMSDK},
	{ecoGo, "github.com/google/generative-ai-go", "Google Generative AI SDK", catLLMSDK},
	{ecoGo, "cloud.google.com/go/vertexai", "Vertex AI SDK", catCloudAI},
	{ecoGo, "cloud.google.com/go/aiplatform", "Vertex AI SDK", catCloudAI},
	{ecoGo, "github.com/aws/aws-sdk-go-v2/service/bedrock*", "AWS Bedrock SDK", catCloudAI},
	{ecoGo, "github.com/aws/aws-sdk-go-v2/service/sagemaker*", "AWS SageMaker SDK", catCloudAI},
	{ecoGo, "github.com/tmc/langchaingo", "LangChainGo", catAgent},
	{ecoGo, "github.com/modelcontextprotocol/go-sdk", "MCP Go SDK", catMCP},
	{ecoGo, "github.com/mark3labs/mcp-go", "mcp-go", catMCP},
	{ecoGo, "github.com/ollama/ollama", "Ollama", catServing},
	{ecoGo, "github.com/cloudwego/eino", "Eino", catAgent},
	{ecoGo, "github.com/firebase/genkit/go", "Genkit", catAgent},
	// Maven (groupId:artifactId)
	{ecoMaven, "com.openai:openai-java*", "OpenAI SDK", catLLMSDK},
	{ecoMaven, "com.anthropic:anthropic-java*", "Anthropic SDK", catLLMSDK},
	{ecoMaven, "com.azure:azure-ai-*", "Azure AI SDK", catCloudAI},
	{ecoMaven, "com.azure:azure-search-documents", "Azure AI Search SDK", catCloudAI},
	{ecoMaven, "com.google.genai:google-genai", "Google Gen AI SDK", catLLMSDK},
	{ecoMaven, "com.google.cloud:google-cloud-vertexai", "Vertex AI SDK", catCloudAI},
	{ecoMaven, "com.google.cloud:google-cloud-aiplatform", "Vertex AI SDK", catCloudAI},
	{ecoMaven, "software.amazon.awssdk:bedrock*", "AWS Bedrock SDK", catCloudAI},
	{ecoMaven, "dev.langchain4j:*", "LangChain4j", catAgent},
	{ecoMaven, "org.springframework.ai:*", "Spring AI", catAgent},
	{ecoMaven, "com.microsoft.semantic-kernel:*", "Semantic Kernel", catAgent},
	{ecoMaven, "io.modelcontextprotocol.sdk:*", "MCP Java SDK", catMCP},
	{ecoMaven, "ai.djl:*", "Deep Java Library", catML},
	{ecoMaven, "org.tensorflow:*", "TensorFlow", catML},
	{ecoMaven, "org.deeplearning4j:*", "Deeplearning4j", catML},
	// NuGet
	{ecoNuGet, "openai", "OpenAI SDK", catLLMSDK},
	{ecoNuGet, "azure.ai.openai", "Azure OpenAI SDK", catCloudAI},
	{ecoNuGet, "azure.ai.*", "Azure AI SDK", catCloudAI},
	{ecoNuGet, "azure.search.documents", "Azure AI Search SDK", catCloudAI},
	{ecoNuGet, "anthropic", "Anthropic SDK", catLLMSDK},
	{ecoNuGet, "anthropic.sdk", "Anthropic SDK", catLLMSDK},
	{ecoNuGet, "microsoft.semantickernel*", "Semantic Kernel", catAgent},
	{ecoNuGet, "microsoft.extensions.ai*", "Microsoft.Extensions.AI", catLLMSDK},
	{ecoNuGet, "microsoft.autogen*", "AutoGen", catAgent},
	{ecoNuGet, "autogen*", "AutoGen", catAgent},
	{ecoNuGet, "modelcontextprotocol*", "MCP C# SDK", catMCP},
	{ecoNuGet, "ollamasharp", "Ollama", catServing},
	{ecoNuGet, "google.cloud.aiplatform.*", "Vertex AI SDK", catCloudAI},
	{ecoNuGet, "awssdk.bedrock*", "AWS Bedrock SDK", catCloudAI},
	{ecoNuGet, "microsoft.ml*", "ML.NET", catML},
	{ecoNuGet, "torchsharp*", "TorchSharp", catML},
	{ecoNuGet, "llamasharp*", "LLamaSharp", catServing},
	{ecoNuGet, "langchain*", "LangChain .NET", catAgent},
}

// normalizePkg normalises a package name for lookup in eco.
func normalizePkg(eco, name string) string {
	name = strings.TrimSpace(name)
	switch eco {
	case ecoPyPI:
		name = strings.ToLower(name)
		name = strings.NewReplacer("_", "-", ".", "-").Replace(name)
	case ecoNuGet, ecoNPM:
		name = strings.ToLower(name)
	}
	return name
}

// lookupPkg returns the rule for a package, if it is an AI package.
func lookupPkg(eco, name string) (pkgRule, bool) {
	n := normalizePkg(eco, name)
	if n == "" {
		return pkgRule{}, false
	}
	for _, r := range pkgRules {
		if r.eco != eco {
			continue
		}
		rn := r.name
		if eco == ecoNuGet || eco == ecoNPM {
			rn = strings.ToLower(rn)
		}
		if strings.HasSuffix(rn, "*") {
			if strings.HasPrefix(n, strings.TrimSuffix(rn, "*")) {
				return r, true
			}
			continue
		}
		if n == rn {
			return r, true
		}
	}
	return pkgRule{}, false
}

// pyModules maps Python import names (first one or two dotted segments) to
// PyPI names.
var pyModules = map[string]string{
	"openai": "openai", "anthropic": "anthropic", "agents": "", "azure.ai": "azure-ai-inference",
	"azure.search": "azure-search-documents", "azure.cognitiveservices": "azure-cognitiveservices-x",
	"google.genai": "google-genai", "google.generativeai": "google-generativeai", "vertexai": "vertexai",
	"google.cloud": "", "langchain": "langchain", "langchain_core": "langchain-core", "langchain_community": "langchain-community",
	"langchain_openai": "langchain-openai", "langchain_anthropic": "langchain-anthropic", "langgraph": "langgraph",
	"llama_index": "llama-index", "semantic_kernel": "semantic-kernel", "autogen": "autogen", "autogen_agentchat": "autogen-agentchat",
	"autogen_core": "autogen-core", "autogen_ext": "autogen-ext", "crewai": "crewai", "haystack": "haystack-ai", "pydantic_ai": "pydantic-ai",
	"dspy": "dspy", "litellm": "litellm", "mistralai": "mistralai", "cohere": "cohere", "groq": "groq",
	"transformers": "transformers", "huggingface_hub": "huggingface-hub", "diffusers": "diffusers",
	"sentence_transformers": "sentence-transformers", "peft": "peft", "torch": "torch", "tensorflow": "tensorflow",
	"keras": "keras", "sklearn": "scikit-learn", "xgboost": "xgboost", "lightgbm": "lightgbm", "onnx": "onnx",
	"onnxruntime": "onnxruntime", "safetensors": "safetensors", "vllm": "vllm", "ollama": "ollama", "llama_cpp": "llama-cpp-python",
	"mcp": "mcp", "fastmcp": "fastmcp", "chromadb": "chromadb", "pinecone": "pinecone", "qdrant_client": "qdrant-client",
	"weaviate": "weaviate-client", "faiss": "faiss-cpu",
}

// pyImport maps a dotted Python module to its PyPI package rule.
func pyImport(mod string) (pkgRule, bool) {
	parts := strings.Split(mod, ".")
	if len(parts) >= 2 {
		two := parts[0] + "." + parts[1]
		if two == "google.cloud" && len(parts) >= 3 && parts[2] == "aiplatform" {
			return lookupPkg(ecoPyPI, "google-cloud-aiplatform")
		}
		if p, ok := pyModules[two]; ok && p != "" {
			return lookupPkg(ecoPyPI, p)
		}
	}
	if p, ok := pyModules[parts[0]]; ok && p != "" {
		return lookupPkg(ecoPyPI, p)
	}
	return pkgRule{}, false
}

// jsImport maps an import specifier to its npm package rule.
func jsImport(spec string) (pkgRule, bool) {
	if strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "node:") {
		return pkgRule{}, false
	}
	parts := strings.Split(spec, "/")
	name := parts[0]
	if strings.HasPrefix(name, "@") && len(parts) > 1 {
		name += "/" + parts[1]
	}
	return lookupPkg(ecoNPM, name)
}

// goImport maps a Go import path to its module rule.
func goImport(p string) (pkgRule, bool) {
	for _, r := range pkgRules {
		if r.eco != ecoGo {
			continue
		}
		n := strings.TrimSuffix(r.name, "*")
		if p == n || strings.HasPrefix(p, n) && (strings.HasSuffix(r.name, "*") || strings.HasPrefix(p, n+"/")) {
			return r, true
		}
	}
	return pkgRule{}, false
}

// javaImports / dotnetUsings map namespace prefixes to frameworks.
var javaImports = []struct{ prefix, eco, pkg string }{
	{"com.openai.", ecoMaven, "com.openai:openai-java"},
	{"com.anthropic.", ecoMaven, "com.anthropic:anthropic-java"},
	{"com.azure.ai.", ecoMaven, "com.azure:azure-ai-inference"},
	{"com.google.genai.", ecoMaven, "com.google.genai:google-genai"},
	{"com.google.cloud.vertexai.", ecoMaven, "com.google.cloud:google-cloud-vertexai"},
	{"software.amazon.awssdk.services.bedrock", ecoMaven, "software.amazon.awssdk:bedrockruntime"},
	{"dev.langchain4j.", ecoMaven, "dev.langchain4j:langchain4j"},
	{"org.springframework.ai.", ecoMaven, "org.springframework.ai:spring-ai-core"},
	{"com.microsoft.semantickernel", ecoMaven, "com.microsoft.semantic-kernel:semantickernel-api"},
	{"io.modelcontextprotocol.", ecoMaven, "io.modelcontextprotocol.sdk:mcp"},
	{"OpenAI", ecoNuGet, "OpenAI"},
	{"Azure.AI.OpenAI", ecoNuGet, "Azure.AI.OpenAI"},
	{"Azure.AI.", ecoNuGet, "Azure.AI.Inference"},
	{"Microsoft.SemanticKernel", ecoNuGet, "Microsoft.SemanticKernel"},
	{"Microsoft.Extensions.AI", ecoNuGet, "Microsoft.Extensions.AI"},
	{"Anthropic", ecoNuGet, "Anthropic"},
	{"ModelContextProtocol", ecoNuGet, "ModelContextProtocol"},
	{"OllamaSharp", ecoNuGet, "OllamaSharp"},
	{"Amazon.BedrockRuntime", ecoNuGet, "AWSSDK.BedrockRuntime"},
	{"AutoGen", ecoNuGet, "AutoGen"},
}
