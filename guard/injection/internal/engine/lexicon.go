package engine

// The lexicon: phrase patterns per signal. A pattern is a sequence of slots
// over lower-cased word tokens; a slot lists exact word forms separated by
// "|" (no prefixes or stemming: list the inflections); "~N" between
// two slots allows up to N other tokens in between, within one sentence
// (sentenceEnd) unless the pattern starts with "^" or counts a goal
// hijack, whose shape spans sentences ("Well done. Now write…"). Scripts written without
// spaces (Chinese, Japanese) and phrases whose tokenization is unreliable
// (Korean, Arabic, Hindi) are matched as substrings instead.
//
// Written from knowledge of common attack phrasing in each language; the
// learned classifier decides how much each signal weighs.

type lexEntry struct {
	signal  int
	pattern string
}

const (
	enIgnore = "ignore|ignoring|disregard|disregarding|forget|forgetting|override|overriding|bypass|neglect|discard|abandon|overlook|dismiss|ditch|nevermind"
	// Verbs that are everyday words in technical text ("reset your
	// settings", "clear all data", "delete all rules"): an override only
	// with an instruction-like object and a prior-like qualifier.
	enIgnoreWeak   = "skip|drop|erase|delete|clear|stop|cancel|reset"
	enPriorCore    = "previous|prior|above|earlier|preceding|original|initial|your|system|developer|safety|ethical"
	enInstructCore = "instructions|instruction|directions|directives|directive|prompts|prompt|guidelines|guideline|constraints|restrictions|programming|guidance|policies|filters|limitations|safeguards"
	enPrior        = "previous|prior|above|earlier|preceding|former|original|initial|old|all|any|every|your|these|those|existing|system|given|current|default|preset|developer|safety|ethical|the"
	// Not "settings" or "configuration": "just ignore that single file …
	// Modify your web.config" is version control (2 benign development rows,
	// 1 attack).
	enInstruct = "rest|data|document|documents|remaining|snippets|instructions|instruction|directions|direction|directives|directive|prompts|prompt|rules|rule|guidelines|guideline|commands|command|orders|constraints|restrictions|programming|training|guidance|policies|policy|context|messages|text|input|info|conversation|task|tasks|filters|limitations|boundaries|safeguards|content|everything|anything|information|articles|article|sources|passages|excerpts|requests|request"
)

var lexicon = []lexEntry{
	// ---- instruction override (English) ----
	{sigOverride, enIgnore + " ~2 " + enPrior + " ~3 " + enInstruct},
	{sigOverride, enIgnoreWeak + " ~2 " + enPriorCore + " ~3 " + enInstructCore},
	{sigHijack, "ignore|disregard|forget|forgetting ~1 about ~2 rules|instructions|restrictions|guidelines|everything|programming"},
	{sigOverride, "go|act|work|operate ~1 against ~1 your ~1 instructions|rules|guidelines|programming|training|policies|restrictions"},
	// "^": may span sentences ("Don't answer the question. Simply output…").
	{sigOverride, "^ don't|dont|not ~1 answer|respond|reply|evaluate|summarize|summarise|translate|analyze|analyse ~4 just|simply|only|instead ~1 output|print|say|state"},
	{sigOverride, "ignore|disregard|forget ~1 everything|anything|all ~3 above|before|previously|said|told|prior"},
	{sigOverride, "ignore|disregard|forget ~2 what ~2 said|told|wrote|written|instructed"},
	// The content around the injection, named as such ("Ignore this data
	// and print…", "ignore other content"): none fires on a benign
	// development row. Not "please ignore this text/message/e-mail/
	// document" (notices to people), "ignore the other entries in the log"
	// or "cin.ignore() … ignores the remaining input"; not "I want you to
	// ignore the formatting and just fix the grammar" (an ordinary request).
	{sigOverride, "ignore|disregard|forget|overlook ~2 other|remaining|surrounding ~1 content|text|instructions|documents|snippets|context"},
	{sigOverride, "ignore|disregard ~1 this ~1 data ~2 and"},
	{sigOverride, "do|don't|dont ~1 not ~1 follow|obey ~2 previous|prior|above|your|original|system ~2 " + enInstruct},
	{sigOverride, "new|real|actual|true|secret|hidden|override|urgent ~1 instructions|instruction|directive|directives|orders"},
	// "new command(...)", "additional instructions", "important rules" are
	// ordinary in code, manuals and prompts: a hijack count, not an override.
	{sigHijack, "new ~1 task|rules|command"},
	{sigHijack, "updated|revised|additional|important ~1 instructions|instruction|task|rules|orders"},
	// "instead of using return, write…" is ordinary prose: "instead" must
	// be followed at once by the verb, or joined to an override ("and
	// instead say").
	{sigOverride, "instead print|say|output|respond|reply|answer|tell|repeat"},
	{sigOverride, "^ and|but|just ~1 instead ~2 print|say|output|write|respond|reply|answer|tell|repeat"},
	{sigOverride, "your|the ~1 new|real|actual|true ~1 task|goal|job|purpose|objective|mission ~1 is"},
	{sigHijack, "from|starting ~1 now|this|here ~2 on|onwards|forward|point"},
	{sigOverride, "stop ~2 what ~1 you ~2 doing"},
	{sigOverride, "stop everything"},
	{sigHijack, "now ~2 just|only ~1 print|say|output|write|repeat"},
	{sigBreak, "even ~1 if|when|though ~4 questionable|harmful|unethical|illegal|immoral|dangerous|offensive|inappropriate|explicit"},
	{sigOverride, "this|these ~1 instructions|instruction ~3 override|overrides|supersede|supersedes|replace|replaces|take ~1 precedence|priority"},
	{sigHijack, "highest|top|utmost ~1 priority"},
	{sigOverride, "end of instructions|prompt|system|context|document|input"},
	{sigHijack, "focus|concentrate ~1 only|exclusively|solely ~2 on ~2 following|this|these"},
	{sigOverride, "^ the ~1 above|previous ~2 was|is|were ~2 a|just ~2 test|joke|mistake|example|placeholder"},
	{sigOverride, "^ admin|administrator|developer|system|root|sudo|debug|maintenance|god ~1 mode|override|access|command|privileges ~2 enabled|activated|granted|unlocked"},
	// ---- role-play / persona jailbreak (English) ----
	// Jailbreak persona names that are also ordinary words or first names
	// (DAN, STAN, DUDE, AIM; "Dan owns an ice cream shop", "the aim of",
	// Indonesian "dan" = "and", "mode gelap dan mode terang") count only
	// written in capitals (personaNames); "kevin" (Kevin Liu, who leaked
	// Bing's prompt) is a topic, not a persona.
	{sigPersona, "anti-dan|betterdan|evilbot|jailbreak|jailbroken|jailbreaking|unfiltered|uncensored|unrestricted|amoral|unethical|unhinged"},
	{sigPersona, "mongo ~1 tom"},
	{sigPersona, "do ~1 anything ~1 now"},
	// Not "dark mode" (a colour scheme), "dev/debug mode" (a build) or
	// "sudo mode" (GitHub's re-authentication).
	{sigPersona, "developer|god|chaos|opposite|evil|unrestricted|unlocked|freedom|uncensored|jailbreak ~1 mode"},
	// Not "no restriction for smoking", "doesn't want to break the rules",
	// "free and open-source … policy": singular objects, and "rules" only
	// after a negation or a removal.
	{sigPersonaBreak, "no|without|zero|free|removed|lifted|bypass|ignore|break|broken ~2 restrictions|limits|limitations|filters|filter|censorship|guidelines|boundaries|constraints|ethics|morals|morality|safeguards|policies"},
	{sigPersonaBreak, "no|without|zero|removed|lifted|bypass|ignore|broken ~2 rules"},
	{sigPersona, "stay|remain|keep ~1 in ~1 character"},
	{sigPersonaBreak, "you ~1 are ~1 no ~1 longer ~2 chatgpt|gpt|claude|bound|restricted|limited|censored|filtered"},
	{sigPersonaBreak, "you're|youre ~1 no ~1 longer ~2 chatgpt|gpt|claude|bound|restricted|limited|censored|filtered"},
	{sigPersonaBreak, "ignore|ignores|ignoring|disregard|disregards|disregarding|bypass|bypasses|abandon|abandons|discard|discards ~3 ethical|moral ~3 concerns|considerations|guidelines|principles|constraints|boundaries|implications|standards"},
	{sigPersonaBreak, "without|no|zero ~1 regard ~1 for ~3 ethics|morals|morality|legality"},
	// Not "with regards to the legality", "why doesn't our content filter
	// block…", "is there no prohibition on…", "without legal obligations".
	{sigPersonaBreak, "not|no|nor|without ~4 regard|regards ~1 to|for ~4 ethics|morals|morality|legality|harmfulness"},
	{sigPersonaBreak, "not|doesn't|doesnt|don't|dont|never ~1 have|has|use|uses|apply|applies ~2 content|safety|moral ~1 filter|filters|filtering"},
	{sigPersonaBreak, "no|without ~1 content|safety|moral ~1 filter|filters|filtering"},
	{sigPersonaBreak, "with ~1 no ~1 prohibitions|prohibition"},
	{sigPersonaBreak, "without ~2 prohibitions|prohibition"},
	{sigPersonaBreak, "without ~3 ethical|moral ~1 principles|standards|responsibility|values"},
	{sigPersonaBreak, "not|don't|dont|never ~1 respond|answer|reply ~1 as ~1 gpt|chatgpt|claude"},
	{sigPersonaBreak, "as ~1 if|though ~2 you ~2 no ~2 instructions|rules|restrictions|guidelines|filters|limits|limitations"},
	{sigPersonaBreak, "like ~1 you ~1 don't|dont|didn't|didnt ~1 have ~2 instructions|rules|restrictions|guidelines|filters|limits|limitations"},
	{sigFrame, "now ~1 you ~1 are|will ~1 be|act|play|become"},
	{sigFrame, "you're|youre ~1 now"},
	{sigPersona, "break|breaking ~1 character"},
	{sigFrame, "pretend|imagine|suppose ~3 you ~1 are|were|have|can"},
	{sigFrame, "you ~1 are|will ~2 now|going|henceforth ~2 act|play|be|become|roleplay|simulate|pretend ~3 as|a|an|called|named"},
	{sigFrame, "act|acting|behave|respond|answer|roleplay|role-play ~2 as|like ~3 ai|chatbot|assistant|model|bot|version|character|persona|entity"},
	{sigFrame, "hypothetical|fictional|imaginary|fictitious ~3 world|scenario|story|setting|universe|ai|response|character|model"},
	// No gap after "content": "Content Security Policy" is a web standard.
	{sigPersonaBreak, "openai|anthropic ~1 policy|policies|guidelines|filters"},
	{sigPersonaBreak, "content policy|policies|guidelines|filters"},
	{sigPersona, "two|2|dual ~1 responses|answers|outputs|personalities"},
	{sigPersona, "always ~1 intelligent ~1 and ~1 machiavellian"},
	{sigPersonaBreak, "never ~2 refuse|refuses|decline|apologize|apologise|warn|censor"},
	{sigPersonaBreak, "cannot|can't|cant|won't|wont|must ~1 not ~1 refuse"},
	{sigPersonaBreak, "freed ~2 from|of"},
	{sigPersonaBreak, "does|doesn't|don't|dont|do ~1 not ~1 care|abide|follow|adhere ~3 rules|ethics|morals|policies|guidelines|laws|restrictions"},
	// ---- system-prompt and secret extraction (English) ----
	{sigLeak, "reveal|show|print|repeat|output|tell|give|display|write|disclose|leak|share|dump|spell|provide|list|recite|echo|copy|paste|return|translate|summarize|encode|what ~4 system|initial|original|hidden|secret|internal|previous|pre-prompt|starting|first|above|full ~2 prompt|prompts|instructions|message|messages|password|passwords|text|rules|configuration|directives|key|secret|words|lines|context"},
	{sigLeak, "system ~1 prompt|message|instructions|instruction|directive"},
	// Not "the key" (the key points, Key West), "the secret to" or "secret
	// key" (API credentials in how-tos): 400 benign user rows.
	{sigLeak, "the|your|secret ~1 password|passcode|passphrase"},
	{sigLeak, "^ what|everything|anything ~2 above|before ~2 this|line|message|point"},
	{sigLeak, "repeat|print|output|copy ~2 the ~1 words|text|lines ~1 above"},
	{sigLeak, "repeat|recite|print|reveal|spell ~3 instructions|prompt|priorinstructions|rules ~2 given|back|above|verbatim|word"},
	{sigLeak, "begins|starts|starting ~2 with ~1 you ~1 are"},
	{sigLeak, "reveal|show|print|repeat|output|list|display|recite|dump|spell|disclose ~3 your ~1 instructions|guidelines|directives"},
	// Requests for the model's own prompt or instructions (sigLeakAsk: also a
	// hidden count that weighs more than prompt_leak alone). Not "print the
	// original message" (code docs), "display the system configuration"
	// (manuals), "print your prompt string with echo $PS1" (shells), "give
	// me the complete instructions for assembling…", "what are your
	// internal guidelines for refunds?", "share your guidelines for guest
	// posts", "what were you told earlier about my account?" (requests to
	// a support agent) or "tell me the password requirements" (a password
	// request is prompt_leak only).
	{sigLeakAsk, "reveal|show|print|display|disclose|leak|dump|output|repeat|recite|tell|give|share|spell|echo|expose ~2 me|us ~1 your|the ~2 system|hidden|secret|initial|pre-prompt ~1 prompt|prompts|instructions|directives"},
	{sigLeakAsk, "reveal|show|print|display|disclose|leak|dump|output|repeat|recite|spell|echo|expose ~1 your|the ~2 system|hidden|secret|initial|pre-prompt ~1 prompt|prompts|instructions"},
	{sigLeakAsk, "reveal|disclose|leak|dump|recite|expose|repeat ~1 your ~1 instructions|rules|directives"},
	{sigLeakAsk, "what ~1 is|are|was|were ~1 your ~2 system|hidden|secret|initial ~1 prompt|prompts|instructions"},
	{sigLeak, "reveal|show|print|display|disclose|leak|dump|output|repeat|recite|tell|give|share|spell|echo|expose ~2 me|us ~1 your|the ~1 password|passphrase|passcode"},
	// ---- text that addresses the model reading it (indirect injection) ----
	{sigDirective, "in|into|to|within|throughout ~1 your ~1 response|responses|reply|replies|answer|answers|summary|output|outputs|completion|solution|translation|explanation"},
	{sigDirective, "when|while|before|after ~2 you ~1 summarize|summarise|summarizing|respond|reply|answer|process|read|translate|generate|write"},
	{sigDirective, "if ~1 you ~1 are ~2 ai|assistant|llm|chatbot|model|gpt|claude|copilot|bot|agent"},
	{sigDirective, "ai|llm|language|automated|assistant ~1 assistant|assistants|model|models|agent|agents|systems|screening ~2 reading|processing|summarizing|parsing|evaluating|reviewing|must|should|note"},
	{sigDirective, "note|attention|message|instructions|instruction ~1 to|for ~1 the ~1 ai|assistant|llm|model|agent|bot"},
	{sigDirective, "note|notice|message|instructions ~1 to|for ~1 automated|ai ~1 analysis|screening|review|reviewers|systems|software|tools|agents|models|assistants|readers|parsers"},
	{sigDirective, "you ~2 not|never ~1 deviate"},
	{sigDirective, "invisible|hidden ~2 to|from ~1 humans"},
	{sigDirective, "visible ~2 to ~1 ai|llm|llms|assistants|chatbots"},
	// No gap: "hello@dair.ai" is hello, dair, ai. Not "Dear Agent" or "Dear
	// Assistant Principal Jones": e-mails to people.
	{sigDirective, "hey|hi|hello ai|assistant|llm|chatbot|model|agent|bot|chatgpt|gpt|claude"},
	{sigDirective, "dear ai|llm|chatbot|model|bot|chatgpt|gpt|claude"},
	{sigDirective, "hey|hi|hello there ai|assistant|llm|chatbot|model|agent|bot|chatgpt|gpt|claude"},
	{sigDirective, "modify|change|append|add|begin|start|end|include|insert|replace|translate|encode ~3 your ~1 response|reply|answer|output|summary"},
	// hiding the action from the user, or steering what the user is told.
	{sigDirective, "not|never|without ~2 tell|telling|inform|informing|mention|mentioning|notify|notifying|alert|alerting|warn|warning ~2 the ~1 user|users|human"},
	{sigDirective, "tell|inform|convince|persuade|urge|instruct ~2 the ~1 user|users|reader ~2 to|that"},
	// ---- requests for hateful or harmful text about a group ----
	// An imperative with a count or article ("write one toxic sentence
	// about", "generate a racist joke about"): not "users who write
	// offensive comments about other members will be banned" (forum
	// rules). Not "write a negative sentence about your weekend" (grammar
	// drills), "more negative comments about women politicians" (news):
	// "negative" only after the verb and with a group named after "about".
	{sigHarm, "write|generate|create|compose|produce ~1 one|a|an|some|two|three|five|ten|me ~1 toxic|harmful|offensive|hateful|racist|sexist|homophobic|derogatory|insulting|demeaning|discriminatory|unfriendly|hurtful ~1 sentence|sentences|joke|jokes|statement|statements|comment|comments|remark|remarks|tweet|tweets|post|posts|paragraph|message|messages|insult|insults ~1 about|targeting|against"},
	{sigHarm, "write|generate|create|compose|produce ~2 negative ~1 sentence|sentences|statement|statements|comment|comments|remark|remarks|joke|jokes ~1 about ~3 arabs|muslims|jews|christians|hindus|immigrants|refugees|women|men|gay|gays|lesbian|lesbians|bisexual|bisexuals|transgender|trans|disabled|elderly|black|blacks|asian|asians|latinos|mexicans|africans"},
	// ---- payload splitting ----
	{sigSplit, "concatenate|combine|join|merge|append ~4 strings|string|variables|parts|pieces|letters|words|tokens|characters|a|b|x|y|z"},
	{sigSplit, "smartgpt|predict_mask"},
	// ---- German ----
	{sigOverride, "ignoriere|ignorier|ignorieren|ignoriert|vergiss|vergessen|vergesst|missachte|missachten ~4 anweisungen|anweisung|instruktionen|befehle|regeln|vorgaben|aufgaben|alles"},
	{sigOverride, "neue|neuen|wichtige ~1 anweisung|anweisungen|aufgabe|aufgaben"},
	{sigFrame, "du ~1 bist ~1 jetzt|nun|ab|ab jetzt"},
	{sigFrame, "jetzt|nun ~1 bist ~1 du"},
	{sigFrame, "du ~1 gehst ~3 rolle"},
	{sigFrame, "ab|von ~1 jetzt|nun ~1 an|bist"},
	{sigFrame, "tu|tue ~1 so ~1 als"},
	{sigPersonaBreak, "ohne|keine ~1 einschränkungen|beschränkungen|zensur|regeln|filter|grenzen"},
	{sigPersona, "entwicklermodus|entwickler-modus"},
	{sigLeak, "zeig|zeige|gib|verrate|wiederhole|nenne|sag ~4 systemprompt|systemanweisung|anweisungen|passwort|prompt|geheimnis|kennwort"},
	// ---- French ----
	{sigOverride, "ignore|ignorez|ignorer|oublie|oubliez|oublier|négliger|néglige ~4 instructions|consignes|règles|directives|ordres"},
	{sigOverride, "nouvelles|nouvelle ~1 instructions|consignes|tâche"},
	{sigFrame, "tu|vous ~1 es|êtes ~1 maintenant|désormais"},
	{sigFrame, "à|a ~1 partir ~1 de ~1 maintenant"},
	{sigFrame, "fais|faites ~1 semblant"},
	{sigFrame, "joue|jouez ~1 le ~1 rôle"},
	{sigPersonaBreak, "sans ~1 aucune ~1 restriction|restrictions|limite|censure|filtre|règle"},
	{sigPersonaBreak, "sans ~1 restrictions|restriction|censure|filtre|limites"},
	{sigPersona, "mode ~1 développeur|developpeur"},
	{sigLeak, "montre|montrez|affiche|affichez|révèle|révélez|répète|répétez|donne|donnez|dis|dites ~4 prompt|instructions|consignes|passe|secret"},
	// ---- Spanish ----
	{sigOverride, "ignora|ignore|ignorar|ignoren|olvida|olvide|olvidar|desobedece ~4 instrucciones|reglas|indicaciones|órdenes|directrices|todo"},
	{sigOverride, "nuevas|nueva ~1 instrucciones|tarea|orden"},
	{sigFrame, "ahora ~1 eres|serás"},
	{sigFrame, "a ~1 partir ~1 de ~1 ahora"},
	{sigFrame, "finge|finja|fingir|imagina ~2 que|ser|eres"},
	{sigFrame, "actúa|actua|actúe ~1 como"},
	{sigPersonaBreak, "sin ~1 restricciones|restricción|censura|filtros|límites|reglas"},
	{sigPersona, "modo ~1 desarrollador"},
	{sigLeak, "muestra|muéstrame|revela|revelame|revélame|repite|dime|imprime|dame ~4 prompt|instrucciones|contraseña|secreto|sistema"},
	// ---- Italian ----
	{sigOverride, "ignora|ignorate|ignorare|dimentica|dimenticate|dimenticare|trascura|tralascia ~4 istruzioni|regole|indicazioni|direttive|tutto"},
	{sigFrame, "ora|adesso ~1 sei"},
	{sigFrame, "d'ora|da ~1 ora|in ~1 in|poi"},
	{sigFrame, "fingi|fai ~1 finta|di|che"},
	{sigPersonaBreak, "senza ~1 restrizioni|censure|censura|filtri|limiti|regole"},
	{sigPersona, "modalità ~1 sviluppatore"},
	{sigLeak, "mostra|mostrami|rivela|rivelami|ripeti|dimmi|stampa|dammi ~4 prompt|istruzioni|password|segreto"},
	// ---- Portuguese ----
	{sigOverride, "ignore|ignora|ignorar|esqueça|esqueca|esquece|esquecer|desconsidere|desconsidera ~4 instruções|instrucoes|regras|orientações|orientacoes|diretrizes|tudo"},
	{sigFrame, "agora ~1 você|voce|tu ~1 é|e|és"},
	{sigFrame, "a ~1 partir ~1 de ~1 agora"},
	{sigFrame, "finja|finge|fingir ~2 que|ser"},
	{sigPersonaBreak, "sem ~1 restrições|restricoes|censura|filtros|limites|regras"},
	{sigPersona, "modo ~1 desenvolvedor"},
	{sigLeak, "mostre|mostra|revele|revela|repita|repete|diga|imprima ~4 prompt|instruções|instrucoes|senha|segredo"},
	// ---- Dutch ----
	{sigOverride, "negeer|negeren|vergeet|vergeten ~4 instructies|instructie|regels|aanwijzingen|opdrachten|alles"},
	{sigFrame, "je|jij ~1 bent ~1 nu"},
	{sigFrame, "vanaf ~1 nu"},
	{sigFrame, "doe ~1 alsof"},
	{sigPersonaBreak, "zonder ~1 beperkingen|censuur|filters|regels"},
	{sigPersona, "ontwikkelaarsmodus"},
	{sigLeak, "toon|laat|herhaal|geef|onthul ~4 prompt|instructies|wachtwoord|systeemprompt|geheim"},
	// ---- Russian ----
	{sigOverride, "игнорируй|игнорируйте|игнорировать|проигнорируй|проигнорируйте|забудь|забудьте|отбрось|отмени ~4 инструкции|инструкций|инструкциях|указания|указаний|правила|правил|команды|всё"},
	{sigOverride, "не ~1 обращай|обращайте ~2 внимания"},
	{sigFrame, "теперь ~1 ты"},
	{sigFrame, "с ~1 этого|сегодняшнего ~1 момента|дня"},
	{sigFrame, "представь|притворись|притворитесь|представьте"},
	{sigPersonaBreak, "без ~1 ограничений|цензуры|фильтров|правил"},
	{sigPersona, "режим ~1 разработчика"},
	{sigLeak, "покажи|покажите|выведи|раскрой|повтори|скажи|напиши ~4 промпт|инструкции|пароль|системный|секрет"},
	// ---- Polish ----
	{sigOverride, "zignoruj|ignoruj|zignorujcie|zapomnij|zapomnijcie ~4 instrukcje|instrukcji|polecenia|poleceń|zasady|reguły|wszystko"},
	{sigFrame, "teraz ~1 jesteś"},
	{sigFrame, "od ~1 teraz"},
	{sigFrame, "udawaj|udawajmy"},
	{sigPersonaBreak, "bez ~1 ograniczeń|cenzury|filtrów|zasad"},
	{sigPersona, "tryb ~1 dewelopera|programisty"},
	{sigLeak, "pokaż|ujawnij|powtórz|podaj|wypisz ~4 prompt|instrukcje|hasło|systemowy|sekret"},
	// ---- Turkish ----
	{sigOverride, "önceki|yukarıdaki|tüm|bütün ~3 talimatları|talimatlari|kuralları|kurallari|komutları|komutlari|talimatlar ~3 unut|unutun|yoksay|görmezden|yok|dikkate"},
	{sigOverride, "talimatları|talimatlari|kuralları|kurallari ~2 unut|unutun|yoksay|görmezden|yok"},
	{sigFrame, "artık ~1 sen|sensin"},
	{sigFrame, "bundan ~1 sonra|böyle"},
	{sigFrame, "gibi ~1 davran|davranın"},
	{sigPersonaBreak, "kısıtlama|sınırlama|sansür ~1 olmadan|yok"},
	{sigPersona, "geliştirici ~1 modu"},
	{sigLeak, "sistem ~1 istemi|istemini|talimatlarını"},
	{sigLeak, "şifreyi|şifre|parolayı|parola ~2 söyle|göster|ver|yaz"},
	// ---- Hindi (Devanagari, tokenized) ----
	{sigOverride, "पिछले|पिछली|सभी|ऊपर|पहले ~3 निर्देशों|निर्देश|नियमों|आदेशों ~3 अनदेखा|भूल|नज़रअंदाज़|नजरअंदाज|अनदेखी"},
	{sigOverride, "निर्देशों|निर्देश|नियमों ~2 को ~1 अनदेखा|भूल|नज़रअंदाज़|नजरअंदाज"},
	{sigFrame, "अब ~1 से ~1 तुम|आप"},
	{sigPersonaBreak, "बिना ~2 प्रतिबंध|प्रतिबंधों|सेंसर|सीमाओं"},
	{sigLeak, "सिस्टम ~1 प्रॉम्प्ट|प्रोम्प्ट|निर्देश"},
	{sigLeak, "पासवर्ड ~3 बताओ|बताइए|दिखाओ"},
	// ---- Arabic (tokenized) ----
	{sigOverride, "تجاهل|تجاهلي|انس|انسى|إنس|اهمل|أهمل ~3 التعليمات|تعليمات|الأوامر|القواعد|التوجيهات|السابقة|كل|جميع"},
	{sigFrame, "أنت ~1 الآن"},
	{sigFrame, "من ~1 الآن ~1 فصاعدا|فصاعداً"},
	{sigFrame, "تظاهر|تظاهري"},
	{sigPersonaBreak, "بدون|دون ~1 قيود|رقابة|حدود"},
	{sigPersona, "وضع ~1 المطور"},
	{sigLeak, "موجه|تعليمات ~1 النظام"},
	{sigLeak, "كلمة ~1 المرور|السر"},
	// ---- Korean (tokenized where words are spaced) ----
	{sigOverride, "이전|위의|모든|앞의 ~3 지시를|지시사항을|지시|지침을|명령을|규칙을 ~2 무시하고|무시하세요|무시해|무시해라|무시|잊어|잊어버려"},
	{sigFrame, "지금부터 ~1 너는|당신은|넌"},
	{sigFrame, "너는|당신은 ~1 이제"},
	{sigPersonaBreak, "제한 ~1 없이|없는"},
	{sigPersona, "개발자 ~1 모드"},
	{sigLeak, "시스템 ~1 프롬프트|지시|메시지"},
	{sigLeak, "비밀번호|암호 ~3 알려|말해|보여"},
}

// Substring phrases for scripts written without spaces.
var phrases = []lexEntry{
	// Chinese
	{sigOverride, "忽略之前"}, {sigOverride, "忽略以上"}, {sigOverride, "忽略上面"}, {sigOverride, "忽略所有"},
	{sigOverride, "忽略先前"}, {sigOverride, "忽略前面"}, {sigOverride, "忽略你的"}, {sigOverride, "无视之前"},
	{sigOverride, "无视以上"}, {sigOverride, "无视所有"}, {sigOverride, "忘记之前"}, {sigOverride, "忘记所有"},
	{sigOverride, "忘掉之前"}, {sigOverride, "忽视之前"}, {sigOverride, "不要遵循"}, {sigOverride, "新的指令"},
	{sigOverride, "新指令"}, {sigOverride, "忽略指令"}, {sigOverride, "忽略说明"},
	{sigFrame, "从现在开始"}, {sigFrame, "你现在是"}, {sigFrame, "假装你是"}, {sigFrame, "扮演"},
	{sigPersona, "开发者模式"}, {sigPersonaBreak, "没有任何限制"}, {sigPersonaBreak, "不受任何限制"}, {sigPersonaBreak, "不受限制"},
	{sigPersonaBreak, "越狱"}, {sigPersonaBreak, "无限制"},
	{sigLeak, "系统提示"}, {sigLeak, "提示词"}, {sigLeak, "密码"}, {sigLeak, "初始指令"},
	// Japanese
	{sigOverride, "指示を無視"}, {sigOverride, "命令を無視"}, {sigOverride, "ルールを無視"}, {sigOverride, "指示を忘れ"},
	{sigOverride, "以前の指示"}, {sigOverride, "上記の指示"}, {sigOverride, "前の指示"}, {sigOverride, "新しい指示"},
	{sigOverride, "無視して"},
	{sigFrame, "今からあなたは"}, {sigFrame, "これからあなたは"}, {sigFrame, "あなたは今"}, {sigFrame, "ふりをして"},
	{sigPersona, "開発者モード"}, {sigPersonaBreak, "制限なし"}, {sigPersonaBreak, "制限のない"}, {sigPersonaBreak, "脱獄"},
	{sigFrame, "演じて"}, {sigFrame, "なりきって"},
	{sigLeak, "システムプロンプト"}, {sigLeak, "パスワード"}, {sigLeak, "初期指示"},
	// Korean, Arabic and Hindi fallbacks for unspaced or cliticized forms
	{sigOverride, "지시를 무시"}, {sigOverride, "지시사항을 무시"}, {sigOverride, "무시하고"},
	{sigPersonaBreak, "탈옥"}, {sigFrame, "척해"}, {sigFrame, "역할을 해"},
	{sigLeak, "시스템 프롬프트"}, {sigLeak, "비밀번호"},
	{sigOverride, "وتجاهل"}, {sigOverride, "تجاهل التعليمات"},
	{sigOverride, "अनदेखा करें"}, {sigOverride, "अनदेखा करो"}, {sigOverride, "भूल जाओ"},
}

// Chat-template and delimiter tokens from common model families.
var templateTokens = []string{
	"<|im_start|>", "<|im_end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|endoftext|>",
	"<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|begin_of_text|>", "<|end|>",
	"<|channel|>", "<|message|>", "<|startoftext|>", "<|fim_prefix|>", "<|endofprompt|>",
	"[inst]", "[/inst]", "<<sys>>", "<</sys>>", "<start_of_turn>", "<end_of_turn>",
	"</s><s>", "<|bos|>", "<|eos|>", "<|prompter|>", "[system](#", "### instruction:", "### response:",
	"[/system]", "[system]", "<system>", "</system>", "<|tool|>", "<|ipython|>",
	// Made-up delimiters of the same kind, written inline ("Registrant:
	// [ADMIN REQUEST::…]", "<end of session> <end of session> System: …");
	// no benign development row has them. Not "system message:", which
	// starts log lines and notices ("System message: backup completed").
	"<end of session>", "[admin request",
}

// Role markers at the start of a line (fake turns).
var roleMarkers = []struct {
	prefix string
	role   int // 0 system, 1 assistant, 2 user
}{
	{"system:", 0}, {"system message:", 0}, {"system prompt:", 0}, {"### system", 0}, {"[system", 0},
	{"<system", 0}, {"(system", 0}, {"sys:", 0}, {"admin:", 0}, {"developer:", 0}, {"developer message:", 0},
	{"assistant:", 1}, {"ai:", 1}, {"chatgpt:", 1}, {"gpt:", 1}, {"bot:", 1}, {"model:", 1},
	{"### assistant", 1}, {"### response", 1}, {"a:", 1}, {"claude:", 1},
	{"user:", 2}, {"human:", 2}, {"### human", 2}, {"### user", 2}, {"q:", 2}, {"### instruction", 2},
}
