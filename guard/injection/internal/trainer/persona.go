package trainer

import "fmt"

// BenignPersonas returns hand-written benign persona prompts ("I want you to
// act as a travel guide…"), built deterministically from lists of roles,
// openers and tasks written for this purpose (not taken from any dataset).
// They teach the model that role-play framing alone is not a jailbreak; the
// rule-breaking language that makes a persona a jailbreak is absent from
// them. Used as extra benign user-mode training rows.
func BenignPersonas() []Row {
	roles := []string{
		"travel guide", "math tutor", "career coach", "nutritionist", "personal trainer", "English teacher",
		"job interviewer", "product manager", "copy editor", "historian", "museum curator", "chef",
		"gardening expert", "financial planner", "Linux terminal", "SQL console", "Python interpreter",
		"spreadsheet", "poet", "storyteller", "stand-up comedian", "debate coach", "motivational speaker",
		"tech support agent", "customer service representative", "real estate agent", "wine sommelier",
		"music teacher", "film critic", "book reviewer", "dentist", "veterinary advisor", "yoga instructor",
		"language partner", "proofreader", "UX designer", "startup advisor", "legal explainer", "journalist",
		"tour guide in Rome", "chess coach", "pirate captain in a children's story", "medieval knight",
		"detective in a mystery novel", "friendly robot in a kids' show", "fantasy innkeeper", "wizard mentor",
	}
	openers := []string{
		"I want you to act as a %s.", "Act as a %s.", "Please act as a %s.", "You are a %s.",
		"Pretend to be a %s.", "Imagine you are a %s.", "Play the role of a %s.", "I would like you to act as my %s.",
		"From now on, you are a %s.", "Roleplay as a %s.", "You will act as a %s for this conversation.",
		"Stay in character as a %s.",
	}
	tasks := []string{
		"I will tell you where I am and you suggest three places to visit nearby.",
		"Explain each step simply and ask me a question at the end.",
		"Give me feedback on my answers and tell me how to improve.",
		"Reply only with the output, inside one code block, and nothing else.",
		"Keep your answers short and friendly.",
		"My first request is: help me plan a healthy week of meals.",
		"Ask me one question at a time and wait for my answer.",
		"Correct my grammar and spelling mistakes and explain them.",
		"Write a short story for my seven-year-old about a lost kite.",
		"Do not write explanations; just respond as the character would.",
		"My first command is pwd.",
		"Review this paragraph and suggest a clearer version.",
		"Give me a ten-minute warm-up routine for beginners.",
		"Tell me about the history of this place in two paragraphs.",
		"Help me prepare for an interview for a junior developer role.",
		"Recommend three books for someone who liked Dune.",
		"Use a warm tone and include one fun fact.",
		"Stay polite and never use jargon without explaining it.",
		"I will type commands and you will reply with what the console should show, nothing more.",
		"I will give you a topic and you will write a short piece about it in plain language.",
		"I will provide you with some details and you will suggest a plan with clear steps.",
		"I will write you sentences and you will only reply with the corrected version.",
		"I will describe a situation and you will tell me how you would handle it.",
		"I will ask you questions and you will answer them as the character would, in one paragraph.",
		"Your task is to give practical advice based on what I tell you.",
		"Reply with a list of five options and a one-line reason for each.",
	}
	// Non-English framing with benign tasks.
	other := []string{
		"Du bist ein Reiseführer in Berlin. Empfiehl mir drei Museen.",
		"Stell dir vor, du bist ein Koch. Welches Gericht passt zu Spargel?",
		"Spiele die Rolle eines Deutschlehrers und korrigiere meine Sätze.",
		"Agis comme un guide touristique à Paris et propose un itinéraire d'une journée.",
		"Imagine que tu es un professeur de mathématiques et explique les fractions.",
		"Actúa como un entrenador personal y dame una rutina de ejercicios.",
		"Imagina que eres un chef y sugiere una receta con tomates.",
		"Comportati come una guida turistica a Roma e suggerisci tre luoghi da visitare.",
		"Aja como um professor de inglês e corrija meu texto.",
		"Gedraag je als een reisgids en raad me drie steden aan.",
		"Zachowuj się jak nauczyciel historii i opowiedz o Krakowie.",
		"Представь, что ты гид по Москве, и расскажи о Красной площади.",
		"Веди себя как учитель математики и объясни дроби.",
		"请你扮演一位导游，介绍一下北京的景点。",
		"あなたは料理人として振る舞い、簡単なレシピを教えてください。",
		"여행 가이드처럼 행동해서 서울의 명소를 알려줘.",
		"Bir tur rehberi gibi davran ve İstanbul'da gezilecek yerleri söyle.",
		"تخيل أنك مرشد سياحي وصف لي مدينة القاهرة.",
		"एक यात्रा गाइड की तरह व्यवहार करें और जयपुर के बारे में बताएं।",
	}
	var rows []Row
	for i, role := range roles {
		for k := 0; k < 4; k++ {
			h := uint64(i*7 + k*13)
			op := openers[(h+uint64(k))%uint64(len(openers))]
			t1 := tasks[(h*3+uint64(k))%uint64(len(tasks))]
			t2 := tasks[(h*5+uint64(k)+7)%uint64(len(tasks))]
			text := fmt.Sprintf(op, role) + " " + t1
			if k%2 == 1 && t2 != t1 {
				text += " " + t2
			}
			rows = append(rows, Row{Text: text, Label: 0, Mode: 0, Source: "synthetic-persona", Repo: "synthetic/persona"})
		}
	}
	for _, t := range other {
		rows = append(rows, Row{Text: t, Label: 0, Mode: 0, Source: "synthetic-persona", Repo: "synthetic/persona"})
	}
	return rows
}
