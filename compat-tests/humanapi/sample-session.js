// Human API Connect's "Start a User Session" sample ("New user"), as
// published. Only the host and the placeholders change: the URL is
// Portico's, the client id, secret and user id come from the environment.

// This example contains a client secret in the server context. 
// DO NOT use your client secret in the browser!

// This example uses an open source request library to create requests
// You can replace it with your favorite request library
// Make sure to use the latest node version and node-fetch@2 for this sample script to work
const fetch = require("node-fetch")

// Human API's session authentication endpoint
const authUrl = process.env.PORTICO_URL + "/v1/connect/token"

// Payload you send to Human API's session authentication endpoint
const requestBody = {
  client_id: process.env.PORTICO_APP_ID,
  client_user_id: process.env.CLIENT_USER_ID,
  client_user_email: process.env.CLIENT_USER_ID + "@example.com",
  client_secret: process.env.PORTICO_API_KEY,
  type: "session"
};

// Issue a POST call to Human API's authentication service
fetch(authUrl,{
    method: "POST",
    headers: {
        'Content-Type': 'application/json',
    },
    body: JSON.stringify(requestBody)
})
.then(response => response.json())
.then(sessionTokenData => {
    console.log(sessionTokenData);
})
.catch((error) => {
    console.error('Error:', error);
});
