/**
 * The bench's questions: each base question with a paraphrase (same answer, should hit)
 * and a near miss (looks alike, needs a different answer, must not hit).
 */
export interface QuestionTriple {
  question: string;
  paraphrase: string;
  nearMiss: string;
}

export const QUESTION_SETS: QuestionTriple[] = [
  {
    question: 'How do I reset my password?',
    paraphrase: 'How can I reset my password?',
    nearMiss: 'How do I reset my username?',
  },
  {
    question: 'What is the capital of France?',
    paraphrase: 'Which city is the capital of France?',
    nearMiss: 'What is the capital of Germany?',
  },
  {
    question: 'How many days are in a leap year?',
    paraphrase: 'How many days does a leap year have?',
    nearMiss: 'How many weeks are in a leap year?',
  },
  {
    question: 'What time does the store open on Sunday?',
    paraphrase: 'When does the store open on Sundays?',
    nearMiss: 'What time does the store close on Sunday?',
  },
  {
    question: 'Convert 10 miles to kilometers.',
    paraphrase: 'What is 10 miles in kilometers?',
    nearMiss: 'Convert 10 kilometers to miles.',
  },
  {
    question: 'Who wrote Pride and Prejudice?',
    paraphrase: 'Who is the author of Pride and Prejudice?',
    nearMiss: 'Who wrote Sense and Sensibility?',
  },
  {
    question: 'How do I cancel my subscription?',
    paraphrase: 'How can I cancel my subscription?',
    nearMiss: 'How do I renew my subscription?',
  },
  {
    question: 'What is the boiling point of water in Celsius?',
    paraphrase: 'At what temperature in Celsius does water boil?',
    nearMiss: 'What is the freezing point of water in Celsius?',
  },
  {
    question: 'Is the museum open on Mondays?',
    paraphrase: 'Does the museum open on Mondays?',
    nearMiss: 'Is the museum open on Tuesdays?',
  },
  {
    question: 'How do I delete my account?',
    paraphrase: 'How can I remove my account?',
    nearMiss: 'How do I create an account?',
  },
  {
    question: 'What is 15 percent of 200?',
    paraphrase: 'Compute 15 percent of 200.',
    nearMiss: 'What is 25 percent of 200?',
  },
  {
    question: 'Can I bring my dog on the train?',
    paraphrase: 'Are dogs allowed on the train?',
    nearMiss: 'Can I bring my bike on the train?',
  },
  {
    question: 'What is the refund policy for shoes?',
    paraphrase: 'How do refunds work for shoes?',
    nearMiss: 'What is the refund policy for electronics?',
  },
  {
    question: 'How far is the moon from the earth?',
    paraphrase: 'What is the distance from the earth to the moon?',
    nearMiss: 'How far is the sun from the earth?',
  },
  {
    question: 'Translate good morning into Spanish.',
    paraphrase: 'How do you say good morning in Spanish?',
    nearMiss: 'Translate good night into Spanish.',
  },
  {
    question: 'When is the next flight to Boston?',
    paraphrase: 'What time is the next flight to Boston?',
    nearMiss: 'When is the last flight to Boston?',
  },
  {
    question: 'How do I change my email address?',
    paraphrase: 'How can I update my email address?',
    nearMiss: 'How do I change my home address?',
  },
  {
    question: 'What is the largest planet in the solar system?',
    paraphrase: 'Which planet in the solar system is the largest?',
    nearMiss: 'What is the smallest planet in the solar system?',
  },
  {
    question: 'Is this jacket waterproof?',
    paraphrase: 'Does this jacket keep water out?',
    nearMiss: 'Is this jacket machine washable?',
  },
  {
    question: 'How many players are on a soccer team?',
    paraphrase: 'How many players does a soccer team have on the field?',
    nearMiss: 'How many players are on a basketball team?',
  },
];
