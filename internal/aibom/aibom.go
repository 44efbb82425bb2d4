// Package aibom encodes a discover inventory as a CycloneDX 1.6 AI-BOM:
// machine-learning-model components (with a model card where one is known),
// data components with their classification, libraries for AI SDKs and
// frameworks, and services for the LLM APIs, MCP servers and cloud AI
// services in use.
package aibom

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/aigis-dev/aigis/internal/discover"
)

// Meta identifies the BOM. Zero Timestamp/SerialNumber leave them out (for
// reproducible output).
type Meta struct {
	ToolName     string
	ToolVersion  string
	Subject      string // what was scanned (a path or repository name)
	Timestamp    time.Time
	SerialNumber string // urn:uuid:...
}

// Build converts a discover result into a CycloneDX BOM.
func Build(r *discover.Result, m Meta) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SerialNumber = m.SerialNumber
	bom.Metadata = &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: or(m.ToolName, "aigis"), Version: m.ToolVersion}}},
	}
	if !m.Timestamp.IsZero() {
		bom.Metadata.Timestamp = m.Timestamp.UTC().Format(time.RFC3339)
	}
	if m.Subject != "" {
		bom.Metadata.Component = &cdx.Component{Type: cdx.ComponentTypeApplication, Name: m.Subject, BOMRef: "subject"}
	}
	var comps []cdx.Component
	var svcs []cdx.Service
	seen := map[string]bool{}
	ref := func(kind, name, version string) string {
		base := kind + ":" + name
		if version != "" {
			base += "@" + version
		}
		r := base
		for i := 2; seen[r]; i++ {
			r = fmt.Sprintf("%s#%d", base, i)
		}
		seen[r] = true
		return r
	}
	for _, a := range r.Assets {
		props := properties(a)
		switch a.Kind {
		case discover.KindModelFile, discover.KindHFModel, discover.KindModelName, discover.KindModelDeploy:
			c := cdx.Component{Type: cdx.ComponentTypeMachineLearningModel, Name: a.Name, Version: a.Version, BOMRef: ref("model", a.Name+"|"+a.File, a.Version), Properties: props}
			if sha := a.Properties["sha256"]; sha != "" {
				c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: sha}}
			}
			if a.Kind == discover.KindModelName {
				c.Group = a.Properties["family"]
			}
			c.ModelCard = modelCard(a)
			if lic := a.Properties["card.license"]; lic != "" {
				c.Licenses = &cdx.Licenses{{License: &cdx.License{Name: lic}}}
			}
			comps = append(comps, c)
		case discover.KindDataset:
			d := cdx.ComponentData{Type: cdx.ComponentDataTypeDataset, Name: a.Name, Classification: a.Properties["classification"]}
			if ents := a.Properties["entities"]; ents != "" {
				s := strings.Split(ents, ",")
				d.SensitiveData = &s
			}
			comps = append(comps, cdx.Component{Type: cdx.ComponentTypeData, Name: a.Name, BOMRef: ref("data", a.File, ""), Data: &[]cdx.ComponentData{d}, Properties: props})
		case discover.KindSDK:
			typ := cdx.ComponentTypeLibrary
			if c := a.Properties["category"]; c == "agent-framework" || c == "ml-framework" {
				typ = cdx.ComponentTypeFramework
			}
			c := cdx.Component{Type: typ, Name: or(a.Properties["package"], a.Name), Version: a.Version, BOMRef: ref("lib", a.Name+"|"+a.File+"|"+a.Properties["package"], a.Version), PackageURL: a.Properties["purl"], Description: a.Name, Properties: props}
			comps = append(comps, c)
		case discover.KindEndpoint:
			eps := []string{"https://" + a.Name}
			svcs = append(svcs, cdx.Service{Name: a.Name, Group: a.Properties["provider"], BOMRef: ref("svc", a.Name+"|"+a.File, ""), Endpoints: &eps, Description: "LLM API", Properties: props})
		case discover.KindMCPServer:
			s := cdx.Service{Name: a.Name, Version: a.Version, BOMRef: ref("mcp", a.Name+"|"+a.File, a.Version), Description: "MCP server (" + a.Properties["transport"] + ")", Properties: props}
			if u := a.Properties["url"]; u != "" {
				eps := []string{u}
				s.Endpoints = &eps
			}
			tags := []string{"mcp"}
			s.Tags = &tags
			svcs = append(svcs, s)
		case discover.KindCloudAI, discover.KindModelServing:
			s := cdx.Service{Name: a.Name, Group: a.Properties["service"], BOMRef: ref("cloud", a.Name+"|"+a.File, ""), Description: a.Properties["service"], Properties: props}
			svcs = append(svcs, s)
		}
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	if len(svcs) > 0 {
		bom.Services = &svcs
	}
	return bom
}

// Encode writes the BOM as CycloneDX 1.6 JSON.
func Encode(w io.Writer, r *discover.Result, m Meta) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(Build(r, m), cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("encode CycloneDX AI-BOM: %w", err)
	}
	return nil
}

func modelCard(a discover.Asset) *cdx.MLModelCard {
	p := a.Properties
	params := &cdx.MLModelParameters{
		Task:               p["card.pipeline_tag"],
		ArchitectureFamily: or(p["model_type"], p["family"]),
		ModelArchitecture:  p["architectures"], // the file format (pickle, GGUF, ...) is not an architecture: it stays in aigis:format
	}
	if ds := p["card.datasets"]; ds != "" {
		var list []cdx.MLDatasetChoice
		for _, d := range strings.Split(ds, ",") {
			if d = strings.TrimSpace(d); d != "" {
				list = append(list, cdx.MLDatasetChoice{ComponentData: &cdx.ComponentData{Type: cdx.ComponentDataTypeDataset, Name: d}})
			}
		}
		if len(list) > 0 {
			params.Datasets = &list
		}
	}
	if *params == (cdx.MLModelParameters{}) {
		return nil
	}
	return &cdx.MLModelCard{ModelParameters: params}
}

func properties(a discover.Asset) *[]cdx.Property {
	keys := make([]string, 0, len(a.Properties)+3)
	for k := range a.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ps := []cdx.Property{{Name: "aigis:kind", Value: a.Kind}}
	if a.File != "" {
		loc := a.File
		if a.Line > 0 {
			loc = fmt.Sprintf("%s:%d", a.File, a.Line)
		}
		ps = append(ps, cdx.Property{Name: "aigis:location", Value: loc})
	}
	for _, k := range keys {
		if a.Properties[k] == "" {
			continue
		}
		ps = append(ps, cdx.Property{Name: "aigis:" + k, Value: a.Properties[k]})
	}
	return &ps
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
