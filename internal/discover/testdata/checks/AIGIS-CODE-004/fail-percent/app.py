from openai import OpenAI
client = OpenAI()

def lookup(cur, q):
    resp = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": q}])
    name = resp.choices[0].message.content
    cur.execute("SELECT * FROM people WHERE name = '%s'" % name)
