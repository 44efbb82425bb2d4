import requests
r = requests.post("https://llm.internal.example.com/v1/chat/completions", json={})
l = requests.post("http://localhost:11434/api/chat", json={})
