package iac

import (
	"testing"
)

func TestParseAddressesAndLines(t *testing.T) {
	arm := []byte(`{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {"pna": {"type": "string", "defaultValue": "Disabled"}, "acct": {"type": "string", "defaultValue": "oai"}},
  "resources": [
    {
      "type": "Microsoft.CognitiveServices/accounts",
      "name": "[parameters('acct')]",
      "properties": {"publicNetworkAccess": "[parameters('pna')]"},
      "resources": [
        {"type": "deployments", "name": "gpt4o", "properties": {"model": {"name": "gpt-4o"}}}
      ]
    }
  ]
}`)
	rs, err := ParseJSON("a.json", arm)
	if err != nil || len(rs) != 2 {
		t.Fatalf("ARM: %v %d", err, len(rs))
	}
	if rs[0].Address() != "Microsoft.CognitiveServices/accounts.oai" || rs[0].Line != 6 {
		t.Errorf("ARM parent: %s line %d", rs[0].Address(), rs[0].Line)
	}
	if rs[1].Type != "Microsoft.CognitiveServices/accounts/deployments" || rs[1].Name != "oai/gpt4o" || rs[1].Line != 11 {
		t.Errorf("ARM child: %s %s line %d", rs[1].Type, rs[1].Name, rs[1].Line)
	}
	if v, _ := rs[0].attr("properties", "publicNetworkAccess"); v != "Disabled" {
		t.Errorf("parameter default not resolved: %#v", v)
	}

	cfn := []byte("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Nb:\n    Type: AWS::SageMaker::NotebookInstance\n    Properties:\n      KmsKeyId: !Ref Key\n      SubnetId: !GetAtt Net.SubnetId\n      RoleArn: !Sub 'arn:${AWS::Partition}:iam::role/x'\n")
	rs, err = ParseYAML("t.yaml", cfn)
	if err != nil || len(rs) != 1 {
		t.Fatalf("CFN: %v %d", err, len(rs))
	}
	if rs[0].Address() != "AWS::SageMaker::NotebookInstance.Nb" || rs[0].Line != 3 {
		t.Errorf("CFN: %s line %d", rs[0].Address(), rs[0].Line)
	}
	if v, _ := rs[0].attr("Properties", "KmsKeyId", "Ref"); v != "Key" {
		t.Errorf("!Ref not converted: %#v", rs[0].Attrs["Properties"])
	}
	if v, ok := rs[0].attr("Properties", "SubnetId", "Fn::GetAtt"); !ok || textOf(v) != "[Net, SubnetId]" {
		t.Errorf("!GetAtt not converted: %#v", v)
	}

	k8s := []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n  namespace: ml\n")
	rs, err = ParseYAML("k.yaml", k8s)
	if err != nil || len(rs) != 2 || rs[0].Address() != "Service.default.a" || rs[1].Address() != "Deployment.ml.b" || rs[1].Line != 6 {
		t.Fatalf("k8s: %v %+v", err, rs)
	}

	tf := []byte("variable \"pna\" {\n  default = false\n}\nlocals {\n  kind = \"OpenAI\"\n}\n\nresource \"azurerm_cognitive_account\" \"a\" {\n  kind = local.kind\n  public_network_access_enabled = var.pna\n  key = azurerm_key_vault_key.k.id\n}\n")
	f, err := ParseTerraform("m.tf", tf)
	if err != nil {
		t.Fatal(err)
	}
	rs = TerraformModule([]*TerraformFile{f})
	if len(rs) != 1 || rs[0].Address() != "azurerm_cognitive_account.a" || rs[0].Line != 8 {
		t.Fatalf("tf: %+v", rs)
	}
	if rs[0].Attrs["kind"] != "OpenAI" || rs[0].Attrs["public_network_access_enabled"] != false {
		t.Errorf("locals/variables not resolved: %#v", rs[0].Attrs)
	}
	if e, ok := rs[0].Attrs["key"].(Expr); !ok || e.Text != "azurerm_key_vault_key.k.id" {
		t.Errorf("reference not kept as Expr: %#v", rs[0].Attrs["key"])
	}

	bicep := []byte("param sku string = 'S0'\n\nresource acct 'Microsoft.CognitiveServices/accounts@2023-05-01' = {\n  name: 'a'\n  sku: {\n    name: sku\n  }\n  properties: {\n    disableLocalAuth: true\n    replicaCount: 3\n  }\n}\n")
	rs, err = ParseBicep("m.bicep", bicep)
	if err != nil || len(rs) != 1 || rs[0].Address() != "Microsoft.CognitiveServices/accounts.acct" || rs[0].Line != 3 {
		t.Fatalf("bicep: %v %+v", err, rs)
	}
	if v, _ := rs[0].attr("sku", "name"); v != "S0" {
		t.Errorf("bicep param not resolved: %#v", v)
	}
	if v, _ := rs[0].attr("properties", "replicaCount"); v != 3.0 {
		t.Errorf("bicep number: %#v", v)
	}
}
