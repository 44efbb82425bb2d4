from openai import OpenAI
client = OpenAI()

def lookup(cur, q):
    resp = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": q}])
    name = resp.choices[0].message.content
    cur.execute("SELECT * FROM people WHERE name = %s AND 100 %% 7 = 2", (name,))
    cur.execute("SELECT * FROM people WHERE name = %(n)s", {"n": name})
    return cur.fetchall()
